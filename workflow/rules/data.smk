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
        options=cli_options(
            source=config["data"]["source"],
            seed=config["seed"],
            test_fraction=config["data"]["test_fraction"],
            cache_dir=config["data"]["cache_dir"],
            idx_dir=config["data"]["idx_dir"],
            mirror=config["data"]["mirrors"],
        ),
        code=step_code("data"),
    shell:
        step_command("python -m latentspace data {params.options} --output {output}")
