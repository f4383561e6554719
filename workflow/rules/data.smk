rule data:
    # Light, and the submit host is more likely than a compute node to reach the internet.
    localrule: True
    output:
        "results/data/dataset.npz",
    params:
        options=cli_options(
            source=config["data"]["source"],
            seed=config["seed"],
            test_fraction=config["data"]["test_fraction"],
            cache_dir=config["data"]["cache_dir"],
            idx_dir=config["data"]["idx_dir"],
            mirror=config["data"]["mirrors"],
        ),
        code=package_code_hash("datasets"),
    log:
        "results/logs/data.log",
    benchmark:
        "results/benchmarks/data.tsv"
    shell:
        "python -m latentspace data {params.options} --output {output} > {log} 2>&1"
