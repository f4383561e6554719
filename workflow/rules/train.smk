rule train:
    input:
        "results/data/dataset.npz",
    output:
        model=model_file("{latent_dim}", "model.pt"),
        history=model_file("{latent_dim}", "history.csv"),
        metrics=model_file("{latent_dim}", "metrics.json"),
    wildcard_constraints:
        latent_dim=r"\d+",
    params:
        options=cli_options(
            epochs=config["train"]["epochs"],
            batch_size=config["train"]["batch_size"],
            learning_rate=config["train"]["learning_rate"],
            seed=config["seed"],
            device=config["device"],
        ),
        hidden_dims=" ".join(str(width) for width in config["model"]["hidden_dims"]),
    threads: config["train"]["threads"]
    log:
        "results/logs/train/z{latent_dim}.log",
    benchmark:
        "results/benchmarks/train_z{latent_dim}.tsv"
    shell:
        "python -m latentspace train --data {input} --latent-dim {wildcards.latent_dim}"
        " --hidden-dims {params.hidden_dims} {params.options} --threads {threads}"
        " --model-out {output.model} --history-out {output.history} --metrics-out {output.metrics}"
        " > {log} 2>&1"
