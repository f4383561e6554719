# The article's figures F1 and F3-F12 (F2 and the training curves are in figures.smk).
# Each figure is one rule with its own outputs under results/figures/, registered in
# SITE_ASSETS for the site. A rule's params hold only its own config section (plus the
# shared animation encoding for F3 and F7), so changing one figure's settings re-runs
# that figure and the site, never a model or another figure. Pure-math figures (F4-F6,
# F8-F10) need no model; F3, F7, F11 and F12 plot the decoded paths of paths.smk.

# A rule's options follow its step's declared settings, in their order: reordering config.yaml
# changes no params and re-runs nothing.
FIGURES = config["figures"]
ANIMATION = config["animation"]
ANIMATIONS = ("f03_spiral_2d", "f07_sphere_spiral_10d")

SITE_ASSETS["f01_autoencoder"] = "results/figures/f01_autoencoder.svg"
for animation_name in ANIMATIONS:
    SITE_ASSETS[animation_name] = f"results/figures/{animation_name}.mp4"
    SITE_ASSETS[f"{animation_name}_poster"] = (
        f"results/figures/{animation_name}_poster.png"
    )
    if ANIMATION["webm"]:
        SITE_ASSETS[f"{animation_name}_webm"] = f"results/figures/{animation_name}.webm"
SITE_ASSETS["f04_ball_volume"] = "results/figures/f04_ball_volume.svg"
SITE_ASSETS["f05_norm_concentration"] = "results/figures/f05_norm_concentration.svg"
SITE_ASSETS["f06_sphere_spiral_3d"] = "results/figures/f06_sphere_spiral_3d.svg"
SITE_ASSETS["f08_projections_3d"] = "results/figures/f08_projections_3d.svg"
SITE_ASSETS["f09_projections_4d"] = "results/figures/f09_projections_4d.svg"
SITE_ASSETS["f10_lerp_vs_slerp"] = "results/figures/f10_lerp_vs_slerp.svg"
SITE_ASSETS["f11_interpolation_500d"] = "results/figures/f11_interpolation_500d.png"
SITE_ASSETS["f11_interpolation_500d_json"] = (
    "results/figures/f11_interpolation_500d.json"
)
SITE_ASSETS["f12_interpolation_norms"] = "results/figures/f12_interpolation_norms.svg"

# The optional WebM output of an animation rule, and its command-line option.
WEBM_OUTPUT = {
    animation: {"webm": SITE_ASSETS[f"{animation}_webm"]} if ANIMATION["webm"] else {}
    for animation in ANIMATIONS
}
WEBM_OPTION = lambda wildcards, output: file_options(webm=output.get("webm"))


rule autoencoder_diagram:
    output:
        report(
            SITE_ASSETS["f01_autoencoder"],
            caption="../../site_templates/captions/f01_autoencoder.rst",
            category="Figures",
        ),
    log:
        "results/logs/figures/autoencoder_diagram.log",
        provenance=provenance_record("autoencoder_diagram"),
    benchmark:
        "results/benchmarks/autoencoder_diagram.tsv"
    localrule: True
    params:
        options=step_options("autoencoder-diagram", config["model"]),
        code=step_source_hash("autoencoder-diagram"),
    shell:
        step_command(
            "python -m latentspace autoencoder-diagram {params.options} --output {output}"
        )


rule spiral_2d_animation:
    input:
        "results/paths/spiral_2d.npz",
    output:
        **WEBM_OUTPUT["f03_spiral_2d"],
        mp4=report(
            SITE_ASSETS["f03_spiral_2d"],
            caption="../../site_templates/captions/f03_spiral_2d.rst",
            category="Animations",
        ),
        poster=SITE_ASSETS["f03_spiral_2d_poster"],
    log:
        "results/logs/figures/spiral_2d_animation.log",
        provenance=provenance_record("spiral_2d_animation"),
    benchmark:
        "results/benchmarks/spiral_2d_animation.tsv"
    localrule: True
    params:
        options=step_options("spiral-2d-animation", FIGURES["spiral_2d"], ANIMATION),
        webm=WEBM_OPTION,
        code=step_source_hash("spiral-2d-animation"),
    shell:
        step_command(
            "python -m latentspace spiral-2d-animation {params.options} --path {input}"
            " --output {output.mp4} --poster {output.poster} {params.webm}"
        )


rule ball_volume:
    output:
        report(
            SITE_ASSETS["f04_ball_volume"],
            caption="../../site_templates/captions/f04_ball_volume.rst",
            category="Figures",
        ),
    log:
        "results/logs/figures/ball_volume.log",
        provenance=provenance_record("ball_volume"),
    benchmark:
        "results/benchmarks/ball_volume.tsv"
    localrule: True
    params:
        options=step_options("ball-volume", FIGURES["ball_volume"]),
        code=step_source_hash("ball-volume"),
    shell:
        step_command(
            "python -m latentspace ball-volume {params.options} --output {output}"
        )


rule norm_concentration:
    output:
        report(
            SITE_ASSETS["f05_norm_concentration"],
            caption="../../site_templates/captions/f05_norm_concentration.rst",
            category="Figures",
        ),
    log:
        "results/logs/figures/norm_concentration.log",
        provenance=provenance_record("norm_concentration"),
    benchmark:
        "results/benchmarks/norm_concentration.tsv"
    localrule: True
    params:
        options=step_options(
            "norm-concentration", FIGURES["norm_concentration"], seed=config["seed"]
        ),
        code=step_source_hash("norm-concentration"),
    shell:
        step_command(
            "python -m latentspace norm-concentration {params.options} --output {output}"
        )


rule sphere_spiral_3d:
    output:
        report(
            SITE_ASSETS["f06_sphere_spiral_3d"],
            caption="../../site_templates/captions/f06_sphere_spiral_3d.rst",
            category="Figures",
        ),
    log:
        "results/logs/figures/sphere_spiral_3d.log",
        provenance=provenance_record("sphere_spiral_3d"),
    benchmark:
        "results/benchmarks/sphere_spiral_3d.tsv"
    localrule: True
    params:
        options=step_options(
            "sphere-spiral-3d", FIGURES["sphere_spiral_3d"], seed=config["seed"]
        ),
        code=step_source_hash("sphere-spiral-3d"),
    shell:
        step_command(
            "python -m latentspace sphere-spiral-3d {params.options} --output {output}"
        )


rule sphere_spiral_animation:
    input:
        "results/paths/sphere_spiral_10d.npz",
    output:
        **WEBM_OUTPUT["f07_sphere_spiral_10d"],
        mp4=report(
            SITE_ASSETS["f07_sphere_spiral_10d"],
            caption="../../site_templates/captions/f07_sphere_spiral_10d.rst",
            category="Animations",
        ),
        poster=SITE_ASSETS["f07_sphere_spiral_10d_poster"],
    log:
        "results/logs/figures/sphere_spiral_animation.log",
        provenance=provenance_record("sphere_spiral_animation"),
    benchmark:
        "results/benchmarks/sphere_spiral_animation.tsv"
    localrule: True
    params:
        options=step_options(
            "sphere-spiral-animation", FIGURES["sphere_spiral_10d"], ANIMATION
        ),
        webm=WEBM_OPTION,
        # Not an option of the step: the model's size, which the caption names (report and page).
        latent_dim=SPHERE_SPIRAL_LATENT_DIM,
        code=step_source_hash("sphere-spiral-animation"),
    shell:
        step_command(
            "python -m latentspace sphere-spiral-animation {params.options} --path {input}"
            " --output {output.mp4} --poster {output.poster} {params.webm}"
        )


rule projections_3d:
    output:
        report(
            SITE_ASSETS["f08_projections_3d"],
            caption="../../site_templates/captions/f08_projections_3d.rst",
            category="Figures",
        ),
    log:
        "results/logs/figures/projections_3d.log",
        provenance=provenance_record("projections_3d"),
    benchmark:
        "results/benchmarks/projections_3d.tsv"
    # The same path as F6: only its shape (turns, steps) is a param, not F6's point cloud.
    localrule: True
    params:
        options=step_options("projections", FIGURES["sphere_spiral_3d"], n=3),
        code=step_source_hash("projections"),
    shell:
        step_command(
            "python -m latentspace projections {params.options} --output {output}"
        )


rule projections_4d:
    output:
        report(
            SITE_ASSETS["f09_projections_4d"],
            caption="../../site_templates/captions/f09_projections_4d.rst",
            category="Figures",
        ),
    log:
        "results/logs/figures/projections_4d.log",
        provenance=provenance_record("projections_4d"),
    benchmark:
        "results/benchmarks/projections_4d.tsv"
    localrule: True
    params:
        options=step_options("projections", FIGURES["projections_4d"], n=4),
        code=step_source_hash("projections"),
    shell:
        step_command(
            "python -m latentspace projections {params.options} --output {output}"
        )


rule lerp_vs_slerp:
    output:
        report(
            SITE_ASSETS["f10_lerp_vs_slerp"],
            caption="../../site_templates/captions/f10_lerp_vs_slerp.rst",
            category="Figures",
        ),
    log:
        "results/logs/figures/lerp_vs_slerp.log",
        provenance=provenance_record("lerp_vs_slerp"),
    benchmark:
        "results/benchmarks/lerp_vs_slerp.tsv"
    localrule: True
    params:
        options=step_options("lerp-vs-slerp", FIGURES["lerp_vs_slerp"]),
        code=step_source_hash("lerp-vs-slerp"),
    shell:
        step_command(
            "python -m latentspace lerp-vs-slerp {params.options} --output {output}"
        )


rule interpolation_mosaic:
    input:
        lerp=f"results/paths/lerp_{INTERPOLATION_LATENT_DIM}d.npz",
        slerp=f"results/paths/slerp_{INTERPOLATION_LATENT_DIM}d.npz",
    output:
        mosaic=report(
            SITE_ASSETS["f11_interpolation_500d"],
            caption="../../site_templates/captions/f11_interpolation_500d.rst",
            category="Figures",
        ),
        summary=SITE_ASSETS["f11_interpolation_500d_json"],
    log:
        "results/logs/figures/interpolation_mosaic.log",
        provenance=provenance_record("interpolation_mosaic"),
    benchmark:
        "results/benchmarks/interpolation_mosaic.tsv"
    localrule: True
    params:
        options=step_options("interpolation-mosaic", FIGURES["interpolation_500d"]),
        # Not an option of the step: the model's size, which the caption names (report and page).
        latent_dim=INTERPOLATION_LATENT_DIM,
        code=step_source_hash("interpolation-mosaic"),
    shell:
        step_command(
            "python -m latentspace interpolation-mosaic {params.options} --lerp {input.lerp}"
            " --slerp {input.slerp} --output {output.mosaic} --summary {output.summary}"
        )


rule interpolation_norms:
    input:
        lerp=f"results/paths/lerp_{INTERPOLATION_LATENT_DIM}d.npz",
        slerp=f"results/paths/slerp_{INTERPOLATION_LATENT_DIM}d.npz",
    output:
        report(
            SITE_ASSETS["f12_interpolation_norms"],
            caption="../../site_templates/captions/f12_interpolation_norms.rst",
            category="Figures",
        ),
    log:
        "results/logs/figures/interpolation_norms.log",
        provenance=provenance_record("interpolation_norms"),
    benchmark:
        "results/benchmarks/interpolation_norms.tsv"
    localrule: True
    params:
        options=step_options("interpolation-norms", FIGURES["interpolation_norms"]),
        # Not an option of the step: the model's size, which the caption names (report and page).
        latent_dim=INTERPOLATION_LATENT_DIM,
        code=step_source_hash("interpolation-norms"),
    shell:
        step_command(
            "python -m latentspace interpolation-norms {params.options} --lerp {input.lerp}"
            " --slerp {input.slerp} --output {output}"
        )
