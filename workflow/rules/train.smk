# One VAE per latent size. The job saves its training state every epoch to
# training_checkpoint(latent_dim) and resumes from it when run again (after a preemption,
# a time limit or a crash); SIGTERM makes it stop within one batch with exit status 75.
# With `retries` in the profile, Snakemake resubmits such a job and it continues.


rule train:
    input:
        "results/data/dataset.npz",
    output:
        model=model_file("{latent_dim}", "model.pt"),
        history=model_file("{latent_dim}", "history.csv"),
        metrics=model_file("{latent_dim}", "metrics.json"),
    log:
        "results/logs/train/z{latent_dim}.log",
        provenance=provenance_record("train_z{latent_dim}"),
    benchmark:
        "results/benchmarks/train_z{latent_dim}.tsv"
    wildcard_constraints:
        latent_dim=r"\d+",
    threads: config["train"]["threads"]
    resources:
        # Snakemake's standard resources; the SLURM executor turns them into
        # --gpus, --cpus-per-gpu, --mem and --time (config.yaml explains each).
        gpu=config["train"]["resources"]["gpu"],
        cpus_per_gpu=config["train"]["resources"]["cpus_per_gpu"],
        mem_mb=config["train"]["resources"]["mem_mb"],
        runtime=config["train"]["resources"]["runtime_min"],
    params:
        options=train_options(replicate=0),
        checkpoint=lambda wildcards: training_checkpoint(wildcards.latent_dim),
        code=step_source_hash("train"),
    shell:
        step_command(
            "python -m latentspace train {params.options} --data {input} --checkpoint {params.checkpoint}"
            " --model-out {output.model} --history-out {output.history} --metrics-out {output.metrics}"
        )


# Replicates 1, 2, ... (config `replicates`) of every latent size the study measures: the
# same job with its own training seed (latentspace.training.replicates.training_seed), files and
# checkpoint, one job per (size, replicate). Replicate 0 is `train` above, unchanged, so
# adding replicates re-runs no trained model.
use rule train as train_replicate with:
    output:
        model=replicate_model_file("{latent_dim}", "{replicate}", "model.pt"),
        history=replicate_model_file("{latent_dim}", "{replicate}", "history.csv"),
        metrics=replicate_model_file("{latent_dim}", "{replicate}", "metrics.json"),
    log:
        "results/logs/train/z{latent_dim}_replicate{replicate}.log",
        provenance=provenance_record("train_z{latent_dim}_replicate{replicate}"),
    benchmark:
        "results/benchmarks/train_z{latent_dim}_replicate{replicate}.tsv"
    wildcard_constraints:
        latent_dim=r"\d+",
        replicate=r"[1-9]\d*",
    params:
        options=train_options(),
        checkpoint=lambda wildcards: training_checkpoint(
            wildcards.latent_dim, wildcards.replicate
        ),
