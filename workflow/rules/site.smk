# The article site: every registered figure, the models' metrics, the run's configuration
# and every other job's benchmark, rendered by site_templates/ into site/. A template edit
# re-runs this rule alone.

import json

# The model (latent size) behind each figure that decodes codes, for the page's prose.
FIGURE_LATENT_DIMS = {
    "f02_latent_grid": 2,
    "f03_spiral_2d": 2,
    "f07_sphere_spiral_10d": SPHERE_SPIRAL_LATENT_DIM,
    "f11_interpolation_500d": INTERPOLATION_LATENT_DIM,
    "f12_interpolation_norms": INTERPOLATION_LATENT_DIM,
}
# Every model the run trains: the configured sizes and those the figures ask for.
TRAINED_LATENT_DIMS = sorted(set(LATENT_DIMS) | set(FIGURE_LATENT_DIMS.values()))
BENCHMARK_WILDCARD_VALUES["latent_dim"] = TRAINED_LATENT_DIMS


rule site:
    input:
        metrics=expand(
            model_file("{latent_dim}", "metrics.json"), latent_dim=TRAINED_LATENT_DIMS
        ),
        assets=lambda wildcards: list(SITE_ASSETS.values()),
        # The site's own benchmark is written after it runs: it cannot be an input.
        benchmarks=lambda wildcards: list(job_benchmarks(exclude=("site",)).values()),
        # Each job's record (latentspace.pipeline.provenance); the site's own is written after it runs.
        records=lambda wildcards: list(job_records(exclude=("site",)).values()),
        templates=template_files(),
        # The workflow itself, which the site's RO-Crate describes and carries.
        workflow=workflow_files(),
    output:
        directory("site"),
    log:
        "results/logs/site.log",
        provenance=provenance_record("site"),
    benchmark:
        "results/benchmarks/site.tsv"
    localrule: True
    params:
        options=step_options("site", config["site"]),
        files=lambda wildcards, input: file_options(
            templates=TEMPLATES_DIR,
            metrics=input.metrics,
            asset=[f"{name}={path}" for name, path in SITE_ASSETS.items()],
            benchmark=[
                f"{job}={path}"
                for job, path in job_benchmarks(exclude=("site",)).items()
            ],
            record=[
                f"{job}={path}" for job, path in job_records(exclude=("site",)).items()
            ],
            workflow_file=input.workflow,
            figure_latent_dim=[
                f"{name}={dim}" for name, dim in FIGURE_LATENT_DIMS.items()
            ],
        ),
        # The page shows the configuration: a changed setting re-renders it.
        run_config_json=json.dumps(config),
        code=step_source_hash("site"),
    shell:
        step_command(
            "python -m latentspace site {params.options} {params.files} --run-config-json {params.run_config_json:q}"
            " --output-dir {output}"
        )
