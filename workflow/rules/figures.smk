SITE_ASSETS["f02_latent_grid"] = "results/figures/f02_latent_grid.png"
SITE_ASSETS["training_curves"] = "results/figures/training_curves.svg"


rule latent_grid:
    localrule: True  # seconds of work: not worth a cluster job (see workflow/profiles/slurm)
    input:
        model_file(2, "model.pt"),
    output:
        report(
            SITE_ASSETS["f02_latent_grid"],
            caption="../report/f02_latent_grid.rst",
            category="Figures",
        ),
    params:
        options=cli_options(**config["figures"]["latent_grid"], device=config["device"]),
        code=package_code_hash("figures.latent_grid", "figures.rendering", "checkpoints", "devices"),
    log:
        "results/logs/figures/latent_grid.log",
    benchmark:
        "results/benchmarks/latent_grid.tsv"
    shell:
        "python -m latentspace latent-grid --model {input} {params.options}"
        " --output {output} > {log} 2>&1"


rule training_curves:
    localrule: True
    input:
        expand(model_file("{latent_dim}", "history.csv"), latent_dim=LATENT_DIMS),
    output:
        report(
            SITE_ASSETS["training_curves"],
            caption="../report/training_curves.rst",
            category="Training",
        ),
    params:
        options=lambda wildcards, input: cli_options(
            history=[f"{dim}={path}" for dim, path in zip(LATENT_DIMS, input)]
        ),
        code=package_code_hash("figures.training_curves", "figures.rendering", "site_builder", "training"),
    log:
        "results/logs/figures/training_curves.log",
    benchmark:
        "results/benchmarks/training_curves.tsv"
    shell:
        "python -m latentspace training-curves {params.options} --output {output} > {log} 2>&1"
