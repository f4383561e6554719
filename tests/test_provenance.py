"""How each figure was made, "Reproduce this page" and the site's Workflow Run RO-Crate (issue 17).

The fast tests check the job record a step writes, the pieces the site builds from records,
and the crate's validation helper; the slow ones check the reduced pipeline run's page:
the command under a figure rebuilds it byte for byte from the listed inputs, a changed
setting changes only its figure's block, and the crate passes roc-validator's Provenance
Run Crate profile offline (and a damaged one does not).
"""

from __future__ import annotations

import hashlib
import html
import importlib.metadata
import io
import json
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO_ROOT, copy_workflow, run_snakemake, snakemake_env
from latentspace.page import site_builder, site_provenance
from latentspace.pipeline import provenance
from latentspace.cli import build_parser, main, step_commands, step_module, step_names
from latentspace.pipeline.code_hash import step_source_hash
from latentspace.errors import LatentspaceError

RO_CRATE_CONTEXT = "https://w3id.org/ro/crate/1.1/context"
PROFILE = "provenance-run-crate-0.5"
DETAILS = re.compile(r'<details class="provenance">.*?</details>', re.DOTALL)
FIGURE = re.compile(r'<figure id="(figure-\d+)".*?</figure>', re.DOTALL)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- the job record ------------------------------------------------------------------------


def test_a_step_writes_its_record_when_it_succeeds(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    arguments = ["norm-concentration", "--dims", "1", "10", "--samples", "50", "--seed", "3", "--output", "out/f.svg"]
    record_options = ["--provenance", "rec/job.json", "--provenance-inputs", "--provenance-outputs", "out/f.svg"]
    assert main([*arguments, *record_options]) == 0
    record = provenance.read_record(tmp_path / "rec" / "job.json")
    assert record["command"] == shlex.join(["python", "-m", "latentspace", *arguments, *record_options])
    assert record["outputs"] == [
        {"path": "out/f.svg", "bytes": (tmp_path / "out/f.svg").stat().st_size, "sha256": sha256(tmp_path / "out/f.svg")}
    ]
    assert record["inputs"] == []
    assert record["settings"] == {"dims": [1, 10], "samples": 50, "seed": 3}  # not the output, not the record's own
    assert record["seed"] == 3 and record["device"] == "cpu"
    assert record["code"] == step_source_hash("norm-concentration")
    assert record["started"] <= record["ended"]


def test_a_failed_step_writes_no_record(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["study-norm-figure", "--summary", "missing.json", "--output", "f.svg",
                 "--provenance", "job.json", "--provenance-inputs", "missing.json"]) == 1
    assert not (tmp_path / "job.json").exists()


def test_every_step_and_sub_command_takes_the_record_options(capsys):
    record = ["--provenance", "r.json", "--provenance-inputs", "a", "b", "--provenance-outputs", "c"]
    args = build_parser().parse_args(["decode", "spiral_2d", "--model", "m.pt", "--frames", "3",
                                      "--t-max-over-pi", "2", "--device", "cpu", "--output", "o.npz", *record])
    assert args.provenance == "r.json" and args.provenance_inputs == ["a", "b"] and args.provenance_outputs == ["c"]
    for step in step_names():
        for kind in step_commands(step_module(step)):
            with pytest.raises(SystemExit):
                build_parser([step]).parse_args([step, *([kind] if kind else []), "--help"])
            assert "--provenance-outputs" in capsys.readouterr().out, (step, kind)


def test_absolute_paths_inside_the_repository_are_written_relative(tmp_path):
    assert provenance.relative_to_root(str(tmp_path / "site_templates"), tmp_path) == "site_templates"
    assert provenance.relative_to_root("/elsewhere/x", tmp_path) == "/elsewhere/x"
    assert provenance.relative_to_root("results/x", tmp_path) == "results/x"


def test_the_record_holds_the_declared_settings_and_their_seed(tmp_path):
    from latentspace.steps.norm_concentration import Settings

    settings = Settings(dims=[1, 10], samples=5, seed=3)
    record = provenance.job_record("norm-concentration", ["norm-concentration"], settings, [], [], [], "a", "b", tmp_path)
    assert record["settings"] == {"dims": [1, 10], "samples": 5, "seed": 3} and record["seed"] == 3
    bare = provenance.job_record("training-curves", ["training-curves"], None, [], [], [], "a", "b", tmp_path)
    assert bare["settings"] == {} and bare["seed"] is None


@pytest.mark.parametrize(
    "text, message",
    [
        ("{", "not valid JSON"),
        ('{"format": "other"}', "expected a job record of format"),
        (json.dumps({"format": provenance.RECORD_FORMAT}), "job record lacks step, command"),
    ],
)
def test_a_damaged_record_is_named_in_one_line(tmp_path, text, message):
    path = tmp_path / "job.json"
    path.write_text(text)
    with pytest.raises(LatentspaceError, match=re.escape(message)) as error:
        provenance.read_record(path)
    assert str(path) in str(error.value) and "\n" not in str(error.value)


def test_a_rule_without_its_record_stops_the_workflow_naming_it(tmp_path):
    """Every rule with a benchmark declares its record (common.smk): a new rule cannot forget it."""
    workdir = copy_workflow(tmp_path / "workflow")
    rules = workdir / "workflow" / "rules" / "article_figures.smk"
    text = rules.read_text()
    assert '        provenance=provenance_record("ball_volume"),\n' in text
    rules.write_text(text.replace('        provenance=provenance_record("ball_volume"),\n', ""))
    result = run_snakemake(workdir, "-n")
    assert result.returncode != 0
    assert "ball_volume: expected the log provenance='results/provenance/ball_volume.json'" in result.stderr + result.stdout


# --- what the site builds from the records -------------------------------------------------


def test_links_to_a_file_point_at_the_figure_that_shows_it():
    page = (
        '<figure id="figure-3"><img src="figures/a.png"><a href="#figure-of:figures/b.csv">b</a></figure>'
        '<figure id="figure-4"><video poster="figures/c.png"></video><a href="#figure-of:figures/a.png">a</a></figure>'
    )
    (linked,) = site_builder.link_pages({"index.html": page}).values()
    assert 'href="#figure-3">a</a>' in linked  # shown by Figure 3
    assert 'href="figures/b.csv">b</a>' in linked  # shown by no figure: the file itself
    assert "#figure-of:" not in linked


def test_environment_file_lists_every_distribution_as_pip_freeze_does():
    versions = site_provenance.distribution_versions()
    lines = site_provenance.environment_text(versions).splitlines()
    assert all(re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*==\S+", line) for line in lines)
    names = [line.partition("==")[0] for line in lines]
    assert names == sorted(names, key=site_provenance.normalised_name)
    installed = {site_provenance.normalised_name(d.metadata["Name"]) for d in importlib.metadata.distributions()}
    assert {site_provenance.normalised_name(name) for name in names} == installed
    assert f"torch=={importlib.metadata.version('torch')}" in lines


def test_repository_state_names_the_commit_and_uncommitted_changes(tmp_path):
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    assert site_provenance.repository_state(tmp_path) == {"commit": None, "dirty": None}

    def git(*arguments):
        subprocess.run(["git", "-C", str(tmp_path), "-c", "user.name=t", "-c", "user.email=t@t", *arguments],
                       check=True, capture_output=True)

    git("init", "-q")
    (tmp_path / "a.txt").write_text("a\n")
    git("add", "a.txt")
    git("commit", "-qm", "a")
    state = site_provenance.repository_state(tmp_path)
    assert re.fullmatch(r"[0-9a-f]{40}", state["commit"]) and state["dirty"] is False
    (tmp_path / "a.txt").write_text("b\n")
    assert site_provenance.repository_state(tmp_path)["dirty"] is True


def test_the_site_step_does_not_import_torch(tmp_path):
    """The site reads torch's version from its metadata (issue 17): importing torch costs seconds."""
    from test_site import write_fake_run

    arguments = write_fake_run(tmp_path / "run") + ["--output-dir", str(tmp_path / "site")]
    code = (
        "import sys; from latentspace.cli import main; "
        f"status = main({arguments!r}); print(status, 'torch' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=snakemake_env())
    assert result.stdout.split() == ["0", "False"], result.stderr[-2000:]
    text = (tmp_path / "site" / "study.html").read_text()  # the results and "Reproduce", on the second page
    assert f"<td>torch</td><td>{importlib.metadata.version('torch')}</td>" in text
    assert (tmp_path / "site" / "environment.txt").is_file()


# --- roc-validator, offline -----------------------------------------------------------------


def seeded_validator_cache(cache_path: Path) -> Path:
    """An HTTP cache for roc-validator that holds RO-Crate's JSON-LD context, from the copy
    the ``rocrate`` package ships, stored under the URL the crate names (no network).

    rocrate ships the context of RO-Crate 1.3, which defines every term of 1.1's; the one
    whose IRI moved (ComputationalWorkflow) the crate pins inline (latentspace.page.run_crate).
    """
    import requests
    import requests_cache
    import rocrate
    import urllib3

    context = (Path(rocrate.__file__).parent / "data" / "ro-crate.jsonld").read_bytes()

    class ShippedContext(requests.adapters.HTTPAdapter):
        def send(self, request, **kwargs):
            assert request.url == RO_CRATE_CONTEXT, f"the validator asked for {request.url}"
            raw = urllib3.HTTPResponse(
                body=io.BytesIO(context), status=200, headers={"Content-Type": "application/ld+json"},
                preload_content=False, request_url=request.url,
            )
            return self.build_response(request, raw)

    # The validator's own cache settings: SQLite under cache_path, GET requests.
    session = requests_cache.CachedSession(cache_name=str(cache_path), backend="sqlite", expire_after=-1)
    session.mount("https://", ShippedContext())
    response = session.get(RO_CRATE_CONTEXT)
    assert response.status_code == 200 and session.cache.contains(url=RO_CRATE_CONTEXT)
    session.close()
    return cache_path


def validate_crate(crate_dir: Path, cache_path: Path) -> list[tuple[str, str]]:
    """``[(severity, message)]`` of roc-validator's issues at the required level, offline."""
    from rocrate_validator import models, services

    settings = models.ValidationSettings(
        rocrate_uri=str(crate_dir),
        profile_identifier=PROFILE,
        requirement_severity=models.Severity.REQUIRED,
        offline=True,
        cache_path=cache_path,
    )
    result = services.validate(settings)
    issues = [(issue.severity.name, str(issue.message)) for issue in result.get_issues()]
    # A context the validator could not read means nothing was checked against it.
    assert not any("Unable to retrieve the JSON-LD context" in message for _, message in issues), issues
    assert result.passed() == (not issues)
    return issues


@pytest.fixture(scope="module")
def validator_cache(tmp_path_factory) -> Path:
    return seeded_validator_cache(tmp_path_factory.mktemp("validator") / "http_cache")


# --- the pipeline run's page ----------------------------------------------------------------


def figure_blocks(page: str) -> dict[str, str]:
    """``{figure id: its "How this was made" block}`` of a page."""
    blocks = {}
    for figure in FIGURE.finditer(page):
        details = DETAILS.search(figure.group(0))
        if details:
            blocks[figure.group(1)] = details.group(0)
    return blocks


def block_of(page: str, asset_file: str) -> str:
    for figure in FIGURE.finditer(page):
        if f'"figures/{asset_file}"' in figure.group(0):
            details = DETAILS.search(figure.group(0))
            assert details, f"{asset_file}: its figure has no provenance block"
            return details.group(0)
    raise AssertionError(f"{asset_file}: no figure shows it")


def shown_command(block: str) -> str:
    return html.unescape(re.search(r'<pre class="command"><code>(.*?)</code></pre>', block, re.DOTALL).group(1))


def shown_inputs(block: str) -> list[tuple[str, int, str]]:
    """``[(path, size in bytes as shown, first SHA-256 digits)]`` listed in a block."""
    found = re.findall(r"<code>([^<]+)</code>(?:</a>)?:\s*([^,]+), SHA-256 <code[^>]*>([0-9a-f]{12})</code>", block)
    return [(html.unescape(path), size.strip(), digits) for path, size, digits in found]


def test_every_figure_and_animation_says_how_it_was_made(pipeline_run):
    from test_site import site_html

    page = site_html(pipeline_run / "site")  # both pages: a job's record is shown once on the site
    figures = FIGURE.findall(page)
    blocks = figure_blocks(page)
    assert len(figures) >= 19
    # A figure made by the job of an earlier figure points to that figure's block instead (on
    # either page).
    shared = {}
    for figure in FIGURE.finditer(page):
        pointer = re.search(r'<p class="provenance provenance-shared">Made by the job that made <a href="(?:\w+\.html)?#(figure-\d+)">',
                            figure.group(0))
        if pointer:
            shared[figure.group(1)] = pointer.group(1)
    assert set(blocks) | set(shared) == set(figures) and not set(blocks) & set(shared)
    assert set(shared.values()) <= set(blocks) and len(shared) >= 4  # the study's five path figures: one block
    commands = [shown_command(block) for block in blocks.values()]
    assert len(commands) == len(set(commands))  # each command once
    records = {path.stem: json.loads(path.read_text()) for path in (pipeline_run / "results" / "provenance").glob("*.json")}
    for figure_id, block in blocks.items():
        assert "<summary>How this was made</summary>" in block and "<details class=\"provenance\" open" not in block
        command = shown_command(block)
        record = next(record for record in records.values() if record["command"] == command)
        assert [(path, digits) for path, _, digits in shown_inputs(block)] == [
            (item["path"], item["sha256"][:12]) for item in record["inputs"]
        ], figure_id
        assert f"<code>{record['code']}</code>" in block and f"on <code>{record['device']}</code>" in block
        assert "wall time" in block and "peak memory" in block and "unmeasured" not in block
    # An input the site carries links to it (to its figure, where one shows it: the links
    # are resolved by site_builder.link_pages); the study's figures read its tables.
    study_block = block_of(page, "study_midpoint_gaps.svg")
    assert 'href="figures/study_midpoints.csv"' in study_block


def rebuild_from_the_page(pipeline_run: Path, tmp_path: Path, asset_file: str) -> None:
    """Run the command a figure's block shows, in a folder holding only its listed inputs."""
    from test_site import site_html

    page = site_html(pipeline_run / "site")
    block = block_of(page, asset_file)
    inputs = shown_inputs(block)
    assert inputs, f"{asset_file}: the block lists no input"
    clean = tmp_path / "clean"
    for path, _, digits in inputs:
        source = pipeline_run / path
        (clean / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, clean / path)
        assert sha256(clean / path)[:12] == digits, f"{path}: its SHA-256 is not the one on the page"
    words = shlex.split(shown_command(block))
    assert words[:3] == ["python", "-m", "latentspace"]
    result = subprocess.run([sys.executable, *words[1:]], cwd=clean, env=snakemake_env(), capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    output = words[words.index("--output") + 1]
    assert (clean / output).read_bytes() == (pipeline_run / "site" / "figures" / asset_file).read_bytes()


def test_a_figure_drawn_from_arrays_is_rebuilt_by_its_command(pipeline_run, tmp_path):
    rebuild_from_the_page(pipeline_run, tmp_path, "f12_interpolation_norms.svg")  # from the decoded paths (.npz)


def test_a_figure_drawn_by_a_trained_model_is_rebuilt_by_its_command(pipeline_run, tmp_path):
    rebuild_from_the_page(pipeline_run, tmp_path, "f02_latent_grid.png")  # decodes with the z = 2 model


def test_changing_one_figures_setting_changes_only_its_block(pipeline_run, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(pipeline_run, run, symlinks=True)
    from test_site import site_html

    before = figure_blocks(site_html(run / "site"))
    result = run_snakemake(run, "--config", "figures={ball_volume: {max_dim: 9}}")
    assert result.returncode == 0, result.stderr[-3000:]
    after = figure_blocks(site_html(run / "site"))
    assert set(after) == set(before)
    changed = {figure for figure in before if before[figure] != after[figure]}
    assert changed == {"figure-4"}
    assert "max_dim=9" in after["figure-4"] and "max_dim=8" in before["figure-4"]


def test_reproduce_these_pages_names_the_software_the_environment_and_the_compute_time(pipeline_run):
    site = pipeline_run / "site"
    page = (site / "study.html").read_text()  # the second page's last section
    section = re.search(r'<section id="reproduce">.*?</section>', page, re.DOTALL).group(0)
    assert page.rstrip().endswith("</html>") and page.rindex("<section ") == page.index('<section id="reproduce">')
    assert "not a git checkout" in section  # the test's copy of the workflow has no .git
    assert "snakemake --cores all --configfile site/config.yaml" in section
    assert "python -m pip install -e . -c site/environment.txt" in section
    for name in ("torch", "snakemake"):
        assert f"<td>{name}</td><td>{importlib.metadata.version(name)}</td>" in section
    from latentspace.page import run_report

    benchmarks = [path for path in (pipeline_run / "results" / "benchmarks").glob("*.tsv") if path.stem != "site"]
    total = sum(run_report.parse_benchmark(path.read_text(), path.stem)["wall_seconds"] for path in benchmarks)
    assert f"took {run_report.format_seconds(total)} of wall-clock time" in section
    assert f"{len(benchmarks)} jobs" in section
    environment = (site / "environment.txt").read_text().splitlines()
    assert f"snakemake=={importlib.metadata.version('snakemake')}" in environment


def crate_graph(site: Path) -> dict[str, dict]:
    return {entity["@id"]: entity for entity in json.loads((site / "ro-crate-metadata.json").read_text())["@graph"]}


def test_the_crate_records_every_job_and_names_files_it_does_not_carry(pipeline_run):
    site = pipeline_run / "site"
    metadata = json.loads((site / "ro-crate-metadata.json").read_text())
    assert metadata["@context"][0] == RO_CRATE_CONTEXT and isinstance(metadata["@context"][1], dict)
    graph = crate_graph(site)
    records = {path.stem: json.loads(path.read_text()) for path in (pipeline_run / "results" / "provenance").glob("*.json")}
    actions = [e for e in graph.values() if e["@type"] == "CreateAction" and e["@id"].startswith("#job-")]
    assert len(actions) == len(records) - 1  # every job but the site's own
    for action in actions:
        assert action["instrument"]["@id"].startswith("#rule-") and action["startTime"] <= action["endTime"]
    # Each site file is a data entity of the root; the model is named, hashed, not copied.
    parts = {part["@id"] for part in graph["./"]["hasPart"]}
    files = {path.relative_to(site).as_posix() for path in site.rglob("*") if path.is_file()}
    # Snakemake marks a finished folder output after the site step has run (and written the crate).
    assert files - parts == {"ro-crate-metadata.json", ".snakemake_timestamp"}
    model = pipeline_run / "results" / "models" / "z2" / "model.pt"
    entity = graph["#file:results/models/z2/model.pt"]
    assert entity["sha256"] == sha256(model) and entity["contentSize"] == model.stat().st_size
    assert not any(site.rglob("model.pt"))
    # The run's results are the site's pages, the entry first; its object the configuration.
    assert graph["#run"]["result"] == [{"@id": "index.html"}, {"@id": "study.html"}]
    assert graph["#run"]["object"] == [{"@id": "config.yaml"}]
    train = graph["#job-train-latent_dim-2"]
    assert {"@id": "#file:results/models/z2/model.pt"} in train["result"]
    assert {"@id": "#file:results/data/dataset.npz"} in train["object"]


def test_the_crate_passes_the_provenance_run_crate_profile_offline(pipeline_run, validator_cache):
    assert validate_crate(pipeline_run / "site", validator_cache) == []


@pytest.mark.parametrize("defect", ["no root dataset", "an action without its instrument"])
def test_a_damaged_crate_fails_validation(pipeline_run, validator_cache, tmp_path, defect):
    site = tmp_path / "site"
    shutil.copytree(pipeline_run / "site", site)
    metadata = json.loads((site / "ro-crate-metadata.json").read_text())
    if defect == "no root dataset":
        metadata["@graph"] = [entity for entity in metadata["@graph"] if entity["@id"] != "./"]
    else:
        action = next(entity for entity in metadata["@graph"] if entity["@id"] == "#job-latent_grid")
        del action["instrument"]
    (site / "ro-crate-metadata.json").write_text(json.dumps(metadata))
    assert validate_crate(site, validator_cache) != []


def test_a_job_that_made_several_figures_shows_its_record_once():
    """The first figure of a job on the page carries its record; the next ones link to that figure."""
    environment = site_builder.template_environment(REPO_ROOT / "site_templates")
    template = environment.from_string(
        '{% from "partials/provenance.html.j2" import how_made with context %}'
        '{{ how_made("a", 3) }}|{{ how_made("b", 5) }}|{{ how_made("c", 6) }}|{{ how_made("none", 7) }}'
    )

    def made(job):
        return {"job": job, "rule": job, "command": f"python -m latentspace {job}", "inputs": [], "settings": {},
                "code": "0123", "wall_seconds": 1.0, "max_rss_mb": 10.0, "device": "cpu", "seed": None}

    page = template.render(provenance={"a": made("paths"), "b": made("paths"), "c": made("norms")},
                           provenance_shown={}, assets={})
    first, second, third, fourth = page.split("|")
    assert "<details" in first and "python -m latentspace paths" in first
    assert "<details" not in second and 'href="#figure-3"' in second and "python -m latentspace" not in second
    assert "<details" in third and "python -m latentspace norms" in third
    assert fourth.strip() == ""  # no record: nothing
