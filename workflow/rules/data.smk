rule data:
    output:
        "results/data/dataset.npz",
    log:
        "results/logs/data.log",
        provenance=provenance_record("data"),
    benchmark:
        "results/benchmarks/data.tsv"
    # Light, and the submit host is more likely than a compute node to reach the internet.
    localrule: True
    params:
        options=step_options("data", config["data"], seed=config["seed"]),
        code=step_source_hash("data"),
    shell:
        step_command("python -m latentspace data {params.options} --output {output}")
