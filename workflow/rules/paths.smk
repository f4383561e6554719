# Latent paths decoded by the models: each rule builds one named path from its config
# section, pushes it through a model's decoder in batches and stores the points, the
# parameter t and the decoded digits in results/paths/<name>.npz, which the figure rules
# (article_figures.smk) only plot. Only the settings that shape a path are params here,
# so a figure's drawing settings never re-run a decoding.

INTERPOLATION_LATENT_DIM = 500  # F11, F12: the article's z = 500 model
SPHERE_SPIRAL_LATENT_DIM = 10  # F7: the article's z = 10 model
INTERPOLATION_METHODS = ("lerp", "slerp")


rule decode_spiral_2d:
    input:
        model_file(2, "model.pt"),
    output:
        "results/paths/spiral_2d.npz",
    log:
        "results/logs/paths/decode_spiral_2d.log",
        provenance=provenance_record("decode_spiral_2d"),
    benchmark:
        "results/benchmarks/decode_spiral_2d.tsv"
    localrule: True
    params:
        options=step_options(
            "decode",
            config["figures"]["spiral_2d"],
            device=config["device"],
            kind="spiral_2d",
        ),
        code=step_source_hash("decode"),
    shell:
        step_command(
            "python -m latentspace decode spiral_2d {params.options} --model {input}"
            " --output {output}"
        )


rule decode_sphere_spiral_10d:
    input:
        model_file(SPHERE_SPIRAL_LATENT_DIM, "model.pt"),
    output:
        "results/paths/sphere_spiral_10d.npz",
    log:
        "results/logs/paths/decode_sphere_spiral_10d.log",
        provenance=provenance_record("decode_sphere_spiral_10d"),
    benchmark:
        "results/benchmarks/decode_sphere_spiral_10d.tsv"
    localrule: True
    params:
        options=step_options(
            "decode",
            config["figures"]["sphere_spiral_10d"],
            device=config["device"],
            kind="sphere_spiral",
        ),
        code=step_source_hash("decode"),
    shell:
        step_command(
            "python -m latentspace decode sphere_spiral {params.options} --model {input}"
            " --output {output}"
        )


rule decode_interpolation:
    input:
        model_file(INTERPOLATION_LATENT_DIM, "model.pt"),
    output:
        **{
            method: f"results/paths/{method}_{INTERPOLATION_LATENT_DIM}d.npz"
            for method in INTERPOLATION_METHODS
        },
    log:
        "results/logs/paths/decode_interpolation.log",
        provenance=provenance_record("decode_interpolation"),
    benchmark:
        "results/benchmarks/decode_interpolation.tsv"
    # lerp and slerp between the same two endpoints, drawn from the global seed: one job,
    # since both always change together.
    localrule: True
    params:
        options=step_options(
            "decode",
            config["figures"]["interpolation_500d"],
            seed=config["seed"],
            device=config["device"],
            kind="lerp-and-slerp",
        ),
        code=step_source_hash("decode"),
    shell:
        step_command(
            "python -m latentspace decode lerp-and-slerp {params.options} --model {input}"
            " --lerp-output {output.lerp} --slerp-output {output.slerp}"
        )
