"""A damaged intermediate file makes its consumer print one line and exit non-zero.

Every kind of file one step writes and another reads back is made for real, by the
pipeline's own commands on a tiny dataset; each is then cut in half (a full disk, a copy
that broke off) or replaced by a foreign file, and its consumer is run. The consumer must
fail with exactly one line on stderr that names the file, without a traceback and without
torch's advice to load with ``weights_only=False``.
"""

from __future__ import annotations

import fractions
import json
import re
import subprocess
import sys

import pytest
import torch

from conftest import REPO_ROOT
from latentspace.cli import main
from latentspace.files.datasets import load_mnist_5k, random_split, save_dataset

# --------------------------------------------------------------------------
# The commands, in one place: {name} is the path of a file the producers made (the damaged
# one among them), {out} a folder for outputs.
# --------------------------------------------------------------------------

PRODUCERS = [
    ["train", "--data", "{dataset}", "--latent-dim", "2", "--hidden-dims", "16", "--epochs", "1", "--batch-size", "36",
     "--learning-rate", "0.001", "--seed", "0", "--device", "cpu", "--threads", "1", "--model-out", "{model}", "--history-out", "{history}",
     "--metrics-out", "{metrics}"],
    ["decode", "lerp-and-slerp", "--model", "{model}", "--steps", "5", "--seed", "1", "--device", "cpu",
     "--lerp-output", "{decoded_path}", "--slerp-output", "{out}/slerp.npz"],
    ["study-classifier", "--data", "{dataset}", "--epochs", "1", "--batch-size", "36", "--learning-rate", "0.004",
     "--max-shift-px", "0", "--max-rotation-degrees", "0", "--max-scale-change", "0", "--members", "1",
     "--label-smoothing", "0", "--averaged-epochs", "1", "--test-time-shift-px", "1",
     "--min-accuracy", "0", "--seed", "0", "--device", "cpu", "--threads", "1",
     "--model-out", "{classifier}", "--metrics-out", "{classifier_metrics}"],
    ["interpolation-mosaic", "--lerp", "{decoded_path}", "--slerp", "{decoded_path}", "--padding-px", "1",
     "--output", "{out}/mosaic.png", "--summary", "{mosaic_summary}"],
    ["study-model", "--model", "{model}", "--data", "{dataset}", "--iwae-samples", "2", "--seed", "0",
     "--device", "cpu", "--threads", "1", "--output", "{statistics}"],
    ["study-interpolation", "--model", "{model}", "--data", "{dataset}", "--classifier", "{classifier}",
     "--pairs", "2", "--path-steps", "3", "--bootstrap-resamples", "10", "--confidence-level", "0.95", "--seed", "0",
     "--device", "cpu", "--threads", "1", "--paths-out", "{path_table}", "--midpoints-out", "{midpoint_table}",
     "--midpoint-pairs-out", "{midpoint_pairs}"],
    ["study-geodesic", "--model", "{model}", "--data", "{dataset}", "--classifier", "{classifier}",
     "--midpoint-pairs", "{midpoint_pairs}", "--pairs", "2", "--path-steps", "3", "--bootstrap-resamples", "10", "--confidence-level", "0.95", "--seed", "0",
     "--device", "cpu", "--threads", "1", "--points", "5", "--max-iterations", "5", "--length-points", "9",
     "--figure-pairs", "1", "--paths-out", "{geodesic_paths}", "--midpoints-out", "{geodesic_midpoints}",
     "--comparisons-out", "{geodesic_comparisons}", "--pairs-out", "{geodesic_pairs}",
     "--examples-out", "{geodesic_examples}"],
    ["study-summary", "--statistics", "{statistics}", "--path-metrics", "{path_table}", "--midpoints", "{midpoint_table}",
     "--classifier-metrics", "{classifier_metrics}", "--pairs", "2", "--path-steps", "3", "--iwae-samples", "2",
     "--bootstrap-resamples", "10", "--confidence-level", "0.95", "--seed", "0", "--summary-out", "{summary}",
     "--models-out", "{out}/models.csv", "--paths-out", "{out}/paths.csv", "--midpoints-out", "{out}/midpoints.csv"],
    ["explorer", "plane", "--model", "{model}", "--data", "{dataset}", "--encoded-digits", "4",
     "--plane-extent", "2", "--weight-dtype", "float16", "--device", "cpu", "--output", "{bundle}"],
]

SITE = ["site", "--templates", "site_templates", "--title", "T", "--output-dir", "{out}/site", "--run-config-json",
        json.dumps({"latent_dims": [2]})]
CONSUMERS = {
    "dataset": ["train", "--data", "{dataset}", "--latent-dim", "2", "--hidden-dims", "8", "--epochs", "1",
                "--batch-size", "36", "--learning-rate", "0.001", "--seed", "0", "--device", "cpu", "--threads", "1",
                "--model-out", "{out}/m.pt", "--history-out", "{out}/h.csv",
                "--metrics-out", "{out}/m.json"],
    "model": ["latent-grid", "--model", "{model}", "--extent", "2", "--steps", "3", "--device", "cpu",
              "--output", "{out}/grid.png"],
    "history": ["training-curves", "--history", "2={history}", "--output", "{out}/curves.svg"],
    "metrics": [*SITE, "--metrics", "{metrics}"],
    "benchmark": [*SITE, "--metrics", "{metrics}", "--benchmark", "train={benchmark}"],
    "decoded_path": ["interpolation-mosaic", "--lerp", "{decoded_path}", "--slerp", "{decoded_path}",
                     "--padding-px", "1", "--output", "{out}/mosaic.png", "--summary", "{out}/mosaic.json"],
    "classifier": ["study-interpolation", "--model", "{model}", "--data", "{dataset}", "--classifier", "{classifier}",
                   "--pairs", "2", "--path-steps", "3", "--bootstrap-resamples", "10", "--confidence-level", "0.95",
                   "--seed", "0", "--device", "cpu", "--threads", "1", "--paths-out", "{out}/p.csv", "--midpoints-out", "{out}/m.csv",
                   "--midpoint-pairs-out", "{out}/m.npz"],
    "classifier_metrics": ["study-summary", "--statistics", "{statistics}", "--path-metrics", "{path_table}",
                           "--midpoints", "{midpoint_table}", "--classifier-metrics", "{classifier_metrics}",
                           "--pairs", "2", "--path-steps", "3", "--iwae-samples", "2", "--bootstrap-resamples", "10",
                           "--confidence-level", "0.95", "--seed", "0", "--summary-out", "{out}/s.json",
                           "--models-out", "{out}/a.csv", "--paths-out", "{out}/b.csv", "--midpoints-out", "{out}/c.csv"],
    "statistics": ["study-summary", "--statistics", "{statistics}", "--path-metrics", "{path_table}",
                   "--midpoints", "{midpoint_table}", "--classifier-metrics", "{classifier_metrics}",
                   "--pairs", "2", "--path-steps", "3", "--iwae-samples", "2", "--bootstrap-resamples", "10",
                   "--confidence-level", "0.95", "--seed", "0", "--summary-out", "{out}/s.json",
                   "--models-out", "{out}/a.csv", "--paths-out", "{out}/b.csv", "--midpoints-out", "{out}/c.csv"],
    "path_table": ["study-path-figures", "--path-metrics", "{path_table}", "--output", "latent_norm_ratio={out}/n.svg"],
    "midpoint_table": ["study-midpoint-figure", "--midpoints", "{midpoint_table}", "--output", "{out}/gaps.svg"],
    "summary": ["study-norm-figure", "--summary", "{summary}", "--output", "{out}/norms.svg"],
    "midpoint_pairs": ["study-summary", "--statistics", "{statistics}", "--path-metrics", "{path_table}",
                       "--midpoints", "{midpoint_table}", "--classifier-metrics", "{classifier_metrics}",
                       "--replicate-statistics", "1={statistics}", "--replicate-midpoints", "1={midpoint_table}",
                       "--midpoint-pairs", "0={midpoint_pairs}", "--midpoint-pairs", "1={midpoint_pairs}",
                       "--replicates", "2",
                       "--pairs", "2", "--path-steps", "3", "--iwae-samples", "2", "--bootstrap-resamples", "10",
                       "--confidence-level", "0.95", "--seed", "0", "--summary-out", "{out}/s.json",
                       "--models-out", "{out}/a.csv", "--paths-out", "{out}/b.csv", "--midpoints-out", "{out}/c.csv"],
    **{kind: ["study-summary", "--statistics", "{statistics}", "--path-metrics", "{path_table}",
              "--midpoints", "{midpoint_table}", "--classifier-metrics", "{classifier_metrics}",
              "--geodesic-paths", "{geodesic_paths}", "--geodesic-midpoints", "0={geodesic_midpoints}",
              "--geodesic-comparisons", "0={geodesic_comparisons}", "--geodesic-pairs", "0={geodesic_pairs}",
              "--pairs", "2", "--path-steps", "3", "--iwae-samples", "2", "--bootstrap-resamples", "10",
              "--confidence-level", "0.95", "--seed", "0", "--summary-out", "{out}/s.json",
              "--models-out", "{out}/a.csv", "--paths-out", "{out}/b.csv", "--midpoints-out", "{out}/c.csv",
              "--comparisons-out", "{out}/d.csv"]
       for kind in ("geodesic_paths", "geodesic_midpoints", "geodesic_comparisons", "geodesic_pairs")},
    "geodesic_examples": ["study-geodesic-digits", "--examples", "{geodesic_examples}", "--output", "{out}/digits.png"],
    # The same file as midpoint_pairs, as the geodesic study reads it (the scores behind the gaps).
    "midpoint_scores": ["study-geodesic", "--model", "{model}", "--data", "{dataset}", "--classifier", "{classifier}",
                        "--midpoint-pairs", "{midpoint_scores}", "--pairs", "2", "--path-steps", "3",
                        "--bootstrap-resamples", "10", "--confidence-level", "0.95", "--seed", "0", "--device", "cpu",
                        "--threads", "1", "--points", "5", "--max-iterations", "5", "--length-points", "9",
                        "--figure-pairs", "1", "--paths-out", "{out}/p.csv", "--midpoints-out", "{out}/m.csv",
                        "--comparisons-out", "{out}/c.csv", "--pairs-out", "{out}/p.npz", "--examples-out", "{out}/e.npz"],
    "bundle": [*SITE, "--metrics", "{metrics}", "--asset", "explorer_plane={bundle}"],
    "study_csv": [*SITE, "--metrics", "{metrics}", "--asset", "study_models={study_csv}"],
    "mosaic_summary": [*SITE, "--metrics", "{metrics}", "--asset", "f11_interpolation_500d_json={mosaic_summary}"],
}
FILE_NAMES = {
    "dataset": "dataset.npz", "model": "model.pt", "history": "history.csv", "metrics": "metrics.json",
    "benchmark": "train.tsv", "decoded_path": "lerp.npz", "classifier": "classifier.pt",
    "classifier_metrics": "classifier_metrics.json", "statistics": "statistics.json", "path_table": "paths.csv",
    "midpoint_table": "midpoints.csv", "midpoint_pairs": "midpoint_pairs.npz", "summary": "summary.json", "bundle": "explorer_plane.js",
    "study_csv": "models.csv", "mosaic_summary": "mosaic.json", "geodesic_paths": "geodesic_paths.csv",
    "geodesic_midpoints": "geodesic_midpoints.csv", "geodesic_comparisons": "geodesic_comparisons.csv",
    "geodesic_pairs": "geodesic_pairs.npz", "geodesic_examples": "geodesic_examples.npz",
    "midpoint_scores": "midpoint_pairs.npz",
}
TORCH_FILES = ("model", "classifier")


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """Every kind of file, made by the pipeline's commands from 48 real digits."""
    folder = tmp_path_factory.mktemp("made")
    paths = {kind: folder / name for kind, name in FILE_NAMES.items()}
    images, labels = load_mnist_5k()
    save_dataset(random_split(images[:48], labels[:48], 0.25, 0, "mnist-5k"), paths["dataset"])
    for argv in PRODUCERS:
        assert main(fill(argv, paths, folder)) == 0, argv
    # What Snakemake's benchmark directive writes: a header, then one row per repeat.
    paths["benchmark"].write_text("s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\tmean_load\tcpu_time\n"
                                  "1.2345\t0:00:01\t200.5\t300.1\t150.2\t160.3\t0.0\t1.0\t50.0\t1.1\n")
    return paths


def fill(argv: list[str], paths: dict, out) -> list[str]:
    """``argv`` with each ``{name}`` replaced by that file's path, ``{out}`` by ``out``."""
    values = {**paths, "out": out}
    return [re.sub(r"\{(\w+)\}", lambda match: str(values[match.group(1)]), arg) for arg in argv]


def cut_in_half(path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def not_a_torch_file(path) -> None:
    path.write_bytes(b"this is not a model\n" * 10)


def pickled_python_object(path) -> None:
    """A torch file whose payload is not plain tensors: loading it with weights_only=True fails."""
    torch.save({"config": fractions.Fraction(1, 3)}, path)


CASES = [pytest.param(kind, cut_in_half, id=f"{kind}-cut_in_half") for kind in CONSUMERS] + [
    pytest.param(kind, damage, id=f"{kind}-{damage.__name__}")
    for kind in TORCH_FILES
    for damage in (not_a_torch_file, pickled_python_object)
]


def damaged_copy(made: dict, kind: str, damage, folder) -> dict:
    """``made`` with the ``kind`` file replaced by a damaged copy in ``folder``."""
    paths = dict(made)
    paths[kind] = folder / made[kind].name
    paths[kind].write_bytes(made[kind].read_bytes())
    damage(paths[kind])
    return paths


def assert_one_line_about(stderr: str, path) -> None:
    lines = stderr.splitlines()
    assert len(lines) == 1 and lines[0].strip() and stderr.endswith("\n"), stderr
    assert str(path) in lines[0] and "snakemake" in lines[0], stderr
    assert "Traceback" not in stderr and "weights_only" not in stderr, stderr


@pytest.mark.parametrize("kind, damage", CASES)
def test_a_damaged_file_is_one_line_naming_it(made, kind, damage, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(REPO_ROOT)  # the site's templates
    capsys.readouterr()
    paths = damaged_copy(made, kind, damage, tmp_path)
    (tmp_path / "out").mkdir()
    assert main(fill(CONSUMERS[kind], paths, tmp_path / "out")) == 1
    assert_one_line_about(capsys.readouterr().err, paths[kind])
    assert list((tmp_path / "out").iterdir()) == []  # nothing half-written


@pytest.mark.parametrize("kind", CONSUMERS)
def test_the_undamaged_files_pass_their_consumers(made, kind, tmp_path, capsys, monkeypatch):
    """The same commands accept the files as made: the damage, not the command, makes them fail.

    The site then stops in its templates, at the first figure they ask for that this test does not make.
    """
    monkeypatch.chdir(REPO_ROOT)
    capsys.readouterr()
    code = main(fill(CONSUMERS[kind], made, tmp_path))
    error = capsys.readouterr().err
    if CONSUMERS[kind][0] == "site":
        assert code == 1 and ".html.j2 line" in error and str(made[kind]) not in error, error
    else:
        assert code == 0, error


@pytest.mark.slow  # a fresh interpreter imports torch: several seconds
def test_the_command_line_prints_one_line_for_a_model_cut_to_5000_bytes(made, tmp_path):
    """The issue's own case, through a real process: stderr as the user sees it."""
    model = tmp_path / "model.pt"
    model.write_bytes(made["model"].read_bytes()[:5000])
    result = subprocess.run(
        [sys.executable, "-m", "latentspace", *fill(CONSUMERS["model"], {**made, "model": model}, tmp_path)],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 1
    assert_one_line_about(result.stderr, model)


def test_a_damaged_training_checkpoint_is_one_line_then_training_starts_over(made, tmp_path, capsys):
    checkpoint = tmp_path / "state.pt"
    checkpoint.write_bytes(made["model"].read_bytes()[:5000])
    argv = fill(CONSUMERS["dataset"], made, tmp_path) + ["--checkpoint", str(checkpoint)]
    capsys.readouterr()
    assert main(argv) == 0
    notice = [line for line in capsys.readouterr().err.splitlines() if str(checkpoint) in line]
    assert notice and notice[0].startswith(f"{checkpoint}: cut short") and "training from scratch" in notice[0]


def test_a_model_whose_weights_do_not_fit_is_one_line(made, tmp_path):
    """torch's load_state_dict message spans several lines; the error stays on one."""
    from latentspace.model.model_files import load_model
    from latentspace.errors import LatentspaceError

    payload = torch.load(made["model"], weights_only=True)
    payload["config"]["latent_dim"] = 3
    torch.save(payload, tmp_path / "model.pt")
    with pytest.raises(LatentspaceError) as error:
        load_model(tmp_path / "model.pt")
    assert "\n" not in str(error.value) and "Error(s) in loading state_dict for VAE" in str(error.value)


def test_a_table_with_a_row_cut_short_or_a_wrong_header_is_refused(made, tmp_path):
    from latentspace.errors import LatentspaceError
    from latentspace.study.tables import read_path_table

    lines = made["path_table"].read_text().splitlines(keepends=True)
    (tmp_path / "short_row.csv").write_text("".join(lines[:2]) + lines[2].rsplit(",", 1)[0] + "\n")
    with pytest.raises(LatentspaceError, match=r"short_row\.csv: line 3 has 7 fields, the header 8"):
        read_path_table(tmp_path / "short_row.csv")
    (tmp_path / "other.csv").write_text("a,b\n1,2\n")
    with pytest.raises(LatentspaceError, match=r"other\.csv: has the header 'a, b', not the columns latent_dim"):
        read_path_table(tmp_path / "other.csv")
