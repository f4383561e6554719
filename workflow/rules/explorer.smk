# The page's explorers (site_templates/static/explorer.js): each rule exports the decoder
# of one trained model, with what its widget needs, into one script under results/explorer/
# that the site carries. Beside F2 the plane of the z = 2 model (with its encoded test
# digits), beside F7 a scrubber along the same sphere spiral, beside F11/F12 a lerp-vs-slerp
# slider that starts from F11's endpoints. Only the explorer section (and the settings of
# the path a widget follows) are params: a figure's drawing settings never re-export.

EXPLORER = config["explorer"]
EXPLORER_DIR = "results/explorer"

SITE_ASSETS["explorer_plane"] = f"{EXPLORER_DIR}/explorer_plane_z2.js"
SITE_ASSETS["explorer_spiral"] = (
    f"{EXPLORER_DIR}/explorer_spiral_z{SPHERE_SPIRAL_LATENT_DIM}.js"
)
SITE_ASSETS["explorer_interpolation"] = (
    f"{EXPLORER_DIR}/explorer_interpolation_z{INTERPOLATION_LATENT_DIM}.js"
)


rule explorer_plane:
    input:
        model=model_file(2, "model.pt"),
        data="results/data/dataset.npz",
    output:
        SITE_ASSETS["explorer_plane"],
    log:
        "results/logs/explorer/plane.log",
        provenance=provenance_record("explorer_plane"),
    benchmark:
        "results/benchmarks/explorer_plane.tsv"
    localrule: True
    params:
        options=step_options(
            "explorer", EXPLORER, device=config["device"], kind="plane"
        ),
        code=step_source_hash("explorer"),
    shell:
        step_command(
            "python -m latentspace explorer plane {params.options} --model {input.model}"
            " --data {input.data} --output {output}"
        )


rule explorer_spiral:
    input:
        model_file(SPHERE_SPIRAL_LATENT_DIM, "model.pt"),
    output:
        SITE_ASSETS["explorer_spiral"],
    log:
        "results/logs/explorer/spiral.log",
        provenance=provenance_record("explorer_spiral"),
    benchmark:
        "results/benchmarks/explorer_spiral.tsv"
    localrule: True
    params:
        options=step_options(
            "explorer",
            EXPLORER,
            config["figures"]["sphere_spiral_10d"],  # F7's path
            device=config["device"],
            kind="spiral",
        ),
        code=step_source_hash("explorer"),
    shell:
        step_command(
            "python -m latentspace explorer spiral {params.options} --model {input}"
            " --output {output}"
        )


rule explorer_interpolation:
    input:
        model=model_file(INTERPOLATION_LATENT_DIM, "model.pt"),
        # F11's lerp path: its first and last points are the widget's first endpoints.
        path=f"results/paths/lerp_{INTERPOLATION_LATENT_DIM}d.npz",
    output:
        SITE_ASSETS["explorer_interpolation"],
    log:
        "results/logs/explorer/interpolation.log",
        provenance=provenance_record("explorer_interpolation"),
    benchmark:
        "results/benchmarks/explorer_interpolation.tsv"
    localrule: True
    params:
        options=step_options(
            "explorer",
            EXPLORER,
            seed=config["seed"],
            device=config["device"],
            kind="interpolation",
        ),
        code=step_source_hash("explorer"),
    shell:
        step_command(
            "python -m latentspace explorer interpolation {params.options} --model {input.model}"
            " --path {input.path} --output {output}"
        )
