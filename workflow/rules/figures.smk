SITE_ASSETS["f02_latent_grid"] = "results/figures/f02_latent_grid.png"
SITE_ASSETS["training_curves"] = "results/figures/training_curves.svg"


rule latent_grid:
    input:
        model_file(2, "model.pt"),
    output:
        report(
            SITE_ASSETS["f02_latent_grid"],
            caption="../../site_templates/captions/f02_latent_grid.rst",
            category="Figures",
        ),
    log:
        "results/logs/figures/latent_grid.log",
        provenance=provenance_record("latent_grid"),
    benchmark:
        "results/benchmarks/latent_grid.tsv"
    localrule: True  # seconds of work: not worth a cluster job (see workflow/profiles/slurm)
    params:
        options=step_options(
            "latent-grid", config["figures"]["latent_grid"], device=config["device"]
        ),
        code=step_source_hash("latent-grid"),
    shell:
        step_command(
            "python -m latentspace latent-grid {params.options} --model {input} --output {output}"
        )


rule training_curves:
    input:
        expand(model_file("{latent_dim}", "history.csv"), latent_dim=LATENT_DIMS),
    output:
        report(
            SITE_ASSETS["training_curves"],
            caption="../../site_templates/captions/training_curves.rst",
            category="Training",
        ),
    log:
        "results/logs/figures/training_curves.log",
        provenance=provenance_record("training_curves"),
    benchmark:
        "results/benchmarks/training_curves.tsv"
    localrule: True
    params:
        files=lambda wildcards, input: file_options(
            history=[f"{dim}={path}" for dim, path in zip(LATENT_DIMS, input)]
        ),
        code=step_source_hash("training-curves"),
    shell:
        step_command(
            "python -m latentspace training-curves {params.files} --output {output}"
        )
