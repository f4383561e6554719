rule site:
    input:
        metrics=expand(model_file("{latent_dim}", "metrics.json"), latent_dim=LATENT_DIMS),
        latent_grid="results/figures/latent_grid.png",
        training_curves="results/figures/training_curves.svg",
        templates=template_files(),
    output:
        directory("site"),
    params:
        options=lambda wildcards, input: cli_options(
            templates=TEMPLATES_DIR,
            title=config["site"]["title"],
            metrics=input.metrics,
            asset=[
                f"latent_grid={input.latent_grid}",
                f"training_curves={input.training_curves}",
            ],
        ),
    log:
        "results/logs/site.log",
    benchmark:
        "results/benchmarks/site.tsv"
    shell:
        "python -m latentspace site {params.options} --output-dir {output} > {log} 2>&1"
