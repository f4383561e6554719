"""The site folder as a Workflow Run RO-Crate (Provenance Run Crate profile), written with ``rocrate``.

``site/ro-crate-metadata.json`` describes the run that made the pages, after the profiles of
https://w3id.org/ro/wfrun/provenance/0.5 (which extends the Process and Workflow Run Crates):

- the root dataset is the site folder; every file in it is a data entity (``hasPart``);
- the Snakefile, which the site carries, is the crate's main entity, a
  ``ComputationalWorkflow`` in Snakemake's language. It ``isBasedOn`` its rule files and
  schema, named with their size and SHA-256; each rule is a tool (``SoftwareApplication``)
  that the workflow ``hasPart`` and reaches through a ``HowToStep``;
- each job is a ``CreateAction`` whose ``instrument`` is its rule, ``object`` its inputs,
  ``result`` its outputs, with its start and end times (from its job record,
  :mod:`latentspace.pipeline.provenance`); a ``ControlAction`` ties it to its step, and an
  ``OrganizeAction`` of Snakemake ties the steps to the run of the workflow, a ``CreateAction``
  of the Snakefile whose ``object`` is the run's configuration and whose ``result`` is the
  site's pages (index.html, the entry, and study.html);
- a file a job read or wrote that the site does not carry (a model, a decoded path, the
  dataset) is named by its path in the repository with its size and SHA-256, not copied.

The profile's own terms (``sha256``) are given inline in ``@context``, so that the only
remote context is RO-Crate's (``rocrate`` ships a copy of it: see the tests). So is
``ComputationalWorkflow``, with the IRI of RO-Crate 1.1's context, which the profile
checks: the later contexts (1.3, the one ``rocrate`` ships) moved it to
bioschemas.org/terms/, and the crate's meaning should not depend on which one a reader
resolves.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from latentspace.pipeline.provenance import sha256_of

PROFILE_VERSION = "0.5"
RO_CRATE_VERSION = "1.1"
RUN_PROFILES = {
    "process": "Process Run Crate",
    "workflow": "Workflow Run Crate",
    "provenance": "Provenance Run Crate",
}
WORKFLOW_RUN_TERMS = "https://w3id.org/ro/terms/workflow-run#"
# The terms of https://w3id.org/ro/terms/workflow-run/context that the crate uses, and the
# workflow type as RO-Crate 1.1 defines it.
INLINE_TERMS = {
    "sha256": f"{WORKFLOW_RUN_TERMS}sha256",
    "ComputationalWorkflow": "https://bioschemas.org/ComputationalWorkflow",
}
METADATA_FILE = "ro-crate-metadata.json"


def slug(text: str) -> str:
    """``train (latent_dim 2)`` -> ``train-latent_dim-2``: a job's name as a fragment identifier."""
    return re.sub(r"[^A-Za-z0-9_]+", "-", text).strip("-")


def build_crate(
    site_dir: Path,
    records: dict[str, dict],
    site_paths: dict[str, str],
    workflow_files: dict[str, str],
    title: str,
    config_file: str,
    snakemake_version: str,
    ended: str,
    pages: tuple[str, ...],
):
    """The crate of ``site_dir`` (already holding the pages, their assets and the workflow files).

    ``site_paths`` maps a file's path in the repository to its path in the site, for the
    files the site carries (the assets); ``workflow_files`` maps each workflow file's path
    below the Snakefile's folder to the file, the Snakefile first (the site carries it);
    ``pages`` the site's pages, the results of the run.
    """
    from rocrate.model.contextentity import ContextEntity
    from rocrate.rocrate import ROCrate

    # RO-Crate 1.1: the version the Provenance Run Crate profile 0.5 builds on.
    crate = ROCrate(version=RO_CRATE_VERSION)
    crate.metadata.extra_terms.update(INLINE_TERMS)
    root = crate.root_dataset
    root["name"] = title
    root["description"] = "A static article built by the latentspace Snakemake workflow, with the record of the run that built it."
    root["datePublished"] = ended
    root["license"] = "MIT"

    def file_properties(path: Path) -> dict:
        return {"contentSize": path.stat().st_size, "sha256": sha256_of(path)}

    # Every file of the site is a data entity; the Snakefile becomes the main workflow.
    snakefile, *workflow_parts = workflow_files
    files = {}
    for path in sorted(p for p in site_dir.rglob("*") if p.is_file() and p.name != METADATA_FILE):
        relative = path.relative_to(site_dir).as_posix()
        if relative == snakefile:
            continue
        files[relative] = crate.add_file(dest_path=relative, properties=file_properties(path))
    workflow = crate.add_workflow(
        dest_path=snakefile,
        main=True,
        lang="snakemake",
        lang_version=snakemake_version,
        properties={
            "@type": ["File", "SoftwareSourceCode", "ComputationalWorkflow", "HowTo"],
            "name": "latentspace workflow",
            **file_properties(site_dir / snakefile),
        },
    )
    files[snakefile] = workflow
    for name, label in RUN_PROFILES.items():
        profile = crate.add(
            ContextEntity(
                crate,
                f"https://w3id.org/ro/wfrun/{name}/{PROFILE_VERSION}",
                properties={"@type": "CreativeWork", "name": label, "version": PROFILE_VERSION},
            )
        )
        root.append_to("conformsTo", profile)

    outside = {}

    def entity(facts: dict):
        """The data entity of a file a job read or wrote: the site's copy, or one named outside it."""
        site_path = site_paths.get(facts["path"])
        if site_path in files:
            return files[site_path]
        if facts.get("folder"):
            return None
        if facts["path"] not in outside:
            outside[facts["path"]] = crate.add(
                ContextEntity(
                    crate,
                    f"#file:{facts['path']}",
                    properties={
                        "@type": "File",
                        "name": facts["path"],
                        "description": "Made or read by the run; not carried by the site.",
                        "contentSize": facts["bytes"],
                        "sha256": facts["sha256"],
                    },
                )
            )
        return outside[facts["path"]]

    for part in workflow_parts:
        source = Path(workflow_files[part])
        # Not hasPart: the profile keeps that for the workflow's tools (its rules).
        workflow.append_to("isBasedOn", entity({"path": part, "bytes": source.stat().st_size, "sha256": sha256_of(source)}))
    engine = crate.add(
        ContextEntity(
            crate,
            "https://snakemake.readthedocs.io",
            properties={"@type": "SoftwareApplication", "name": "Snakemake", "version": snakemake_version},
        )
    )
    tools, steps = {}, {}
    for record in records.values():
        rule = record["rule"]
        if rule in tools:
            continue
        tools[rule] = crate.add(
            ContextEntity(crate, f"#rule-{rule}", properties={"@type": "SoftwareApplication", "name": f"rule {rule}"})
        )
        steps[rule] = crate.add(
            ContextEntity(
                crate, f"#step-{rule}", properties={"@type": "HowToStep", "name": rule, "workExample": tools[rule]}
            )
        )
        workflow.append_to("hasPart", tools[rule])
        workflow.append_to("step", steps[rule])
    control_actions = []
    for job, record in sorted(records.items(), key=lambda item: (item[1]["started"], item[0])):
        objects = [e for e in (entity(facts) for facts in record["inputs"]) if e is not None]
        results = [e for e in (entity(facts) for facts in record["outputs"]) if e is not None]
        action = crate.add_action(
            tools[record["rule"]],
            identifier=f"#job-{slug(job)}",
            object=objects,
            result=results,
            properties={
                "name": job,
                "description": record["command"],
                "startTime": record["started"],
                "endTime": record["ended"],
            },
        )
        control_actions.append(
            crate.add(
                ContextEntity(
                    crate,
                    f"#control-{slug(job)}",
                    properties={
                        "@type": "ControlAction",
                        "name": f"orchestrate {job}",
                        "instrument": steps[record["rule"]],
                        "object": action,
                    },
                )
            )
        )
    started = min((record["started"] for record in records.values()), default=ended)
    run = crate.add_action(
        workflow,
        identifier="#run",
        object=[files[config_file]] if config_file in files else None,
        # The run's results: the site's pages (index.html, the entry, first).
        result=[files[page] for page in pages if page in files] or None,
        properties={"name": f"Run of the latentspace workflow: {title}", "startTime": started, "endTime": ended},
    )
    crate.add(
        ContextEntity(
            crate,
            "#snakemake-run",
            properties={
                "@type": "OrganizeAction",
                "name": "Snakemake's run of the workflow",
                "instrument": engine,
                "object": control_actions,
                "result": run,
                "startTime": started,
                "endTime": ended,
            },
        )
    )
    root.append_to("mentions", run)
    return crate


def write_crate(crate, site_dir: Path) -> None:
    """Write only ``ro-crate-metadata.json`` (the files are already in the folder), without
    the indentation that would make it the largest file of the page."""
    metadata = json.dumps(crate.metadata.generate(), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    (site_dir / METADATA_FILE).write_text(metadata + "\n", encoding="utf-8")
