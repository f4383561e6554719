"""The pipeline's steps: one module per step, each run as ``python -m latentspace STEP``.

``STEPS`` maps each command to its module in this package. A module holds the step's
argument parser (``add_arguments``) and its run function (``run``); its docstring's first
line is the step's help. The Snakemake rule that runs a step carries the step's name: the
rule ``latent_grid`` runs ``latent-grid`` (steps/latent_grid.py), the rules ``decode_*``
run ``decode``. Each rule's re-run trigger is the hash of its step module's imports
(``latentspace.code_version.step_source_hash``).
"""

STEPS = {
    # data and models
    "data": "data",
    "train": "train",
    "decode": "decode",
    # the article's figures
    "autoencoder-diagram": "autoencoder_diagram",
    "latent-grid": "latent_grid",
    "training-curves": "training_curves",
    "spiral-2d-animation": "spiral_2d_animation",
    "ball-volume": "ball_volume",
    "norm-concentration": "norm_concentration",
    "sphere-spiral-3d": "sphere_spiral_3d",
    "sphere-spiral-animation": "sphere_spiral_animation",
    "projections": "projections",
    "lerp-vs-slerp": "lerp_vs_slerp",
    "interpolation-mosaic": "interpolation_mosaic",
    "interpolation-norms": "interpolation_norms",
    # the study
    "study-classifier": "study_classifier",
    "study-model": "study_model",
    "study-interpolation": "study_interpolation",
    "study-summary": "study_summary",
    "study-path-figures": "study_path_figures",
    "study-midpoint-figure": "study_midpoint_figure",
    "study-norm-figure": "study_norm_figure",
    "study-pair-scores": "study_pair_scores",
    "study-replicate-figure": "study_replicate_figure",
    # the page
    "explorer": "explorer",
    "site": "site",
}


def step_module_name(step: str) -> str:
    """``latent-grid`` -> ``steps.latent_grid``, the module's name inside the package."""
    return f"steps.{STEPS[step]}"
