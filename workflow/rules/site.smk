rule site:
    input:
        metrics=expand(model_file("{latent_dim}", "metrics.json"), latent_dim=LATENT_DIMS),
        assets=list(SITE_ASSETS.values()),
        templates=template_files(),
    output:
        directory("site"),
    params:
        options=lambda wildcards, input: cli_options(
            templates=TEMPLATES_DIR,
            title=config["site"]["title"],
            metrics=input.metrics,
            asset=[f"{name}={path}" for name, path in SITE_ASSETS.items()],
        ),
    log:
        "results/logs/site.log",
    benchmark:
        "results/benchmarks/site.tsv"
    shell:
        "python -m latentspace site {params.options} --output-dir {output} > {log} 2>&1"
