# The study after the article ("Measuring the interpolations" on the site): for every
# latent size of latent_dims from 2 up, the models' likelihood bounds, KL per unit, active
# units and latent norms, and the quality along lerp, slerp and distribution-matched
# paths, judged by a digit classifier trained once. The per-size results are gathered
# into CSV tables and results/study/study_summary.json, which the site renders. Each
# rule's params hold only the study settings it uses: changing study.pairs re-runs the
# interpolation jobs, the summary, its figures and the site, never a model or the classifier.
# With `replicates` above 1, the *_replicate rules measure the other trained models of each
# size, and the summary gives every number across them (latentspace.study.across_replicates).

from latentspace.study.labels import METRICS as STUDY_METRICS

STUDY = config["study"]
GEODESIC = STUDY["geodesic"]
STUDY_DIR = "results/study"
# slerp needs at least two dimensions; a 1-D model is trained but not studied.
STUDY_LATENT_DIMS = [dim for dim in LATENT_DIMS if dim >= 2]
BENCHMARK_WILDCARD_VALUES["study_dim"] = STUDY_LATENT_DIMS
# Replicates beyond the first are trained for the study's sizes only.
BENCHMARK_WILDCARD_VALUES[("train_replicate", "latent_dim")] = STUDY_LATENT_DIMS
DATASET = "results/data/dataset.npz"
CLASSIFIER_MODEL = f"{STUDY_DIR}/classifier.pt"
CLASSIFIER_METRICS = f"{STUDY_DIR}/classifier_metrics.json"

SITE_ASSETS["study_summary"] = f"{STUDY_DIR}/study_summary.json"
SITE_ASSETS["study_models"] = f"{STUDY_DIR}/study_models.csv"
SITE_ASSETS["study_path_metrics"] = f"{STUDY_DIR}/study_path_metrics.csv"
SITE_ASSETS["study_midpoints"] = f"{STUDY_DIR}/study_midpoints.csv"
for _metric in STUDY_METRICS:
    SITE_ASSETS[f"study_path_{_metric}"] = f"results/figures/study_path_{_metric}.svg"
SITE_ASSETS["study_midpoint_gaps"] = "results/figures/study_midpoint_gaps.svg"
SITE_ASSETS["study_latent_norms"] = "results/figures/study_latent_norms.svg"
SITE_ASSETS["study_kl_spectrum"] = "results/figures/study_kl_spectrum.svg"
SITE_ASSETS["study_f11_pair_scores"] = f"{STUDY_DIR}/f11_pair_scores.json"
SITE_ASSETS["study_replicate_midpoints"] = (
    "results/figures/study_replicate_midpoints.svg"
)
SITE_ASSETS["study_geodesic_comparisons"] = (
    f"{STUDY_DIR}/study_geodesic_comparisons.csv"
)
SITE_ASSETS["study_geodesic_plane"] = "results/figures/study_geodesic_plane.svg"
SITE_ASSETS["study_geodesic_digits"] = "results/figures/study_geodesic_digits.png"
# The geodesic figures draw the models the article's figures decode: the z = 2 plane (F2, F3),
# and the digits of the z = 10 (F7) and z = 500 (F11) models; those are trained whatever the
# study's sizes, and their geodesics are solved for the figures when the study leaves them out.
GEODESIC_DIGIT_DIMS = [SPHERE_SPIRAL_LATENT_DIM, INTERPOLATION_LATENT_DIM]
BENCHMARK_WILDCARD_VALUES[("study_geodesic", "study_dim")] = sorted(
    set(STUDY_LATENT_DIMS) | {2, *GEODESIC_DIGIT_DIMS}
)


rule study_classifier:
    input:
        DATASET,
    output:
        model=CLASSIFIER_MODEL,
        metrics=CLASSIFIER_METRICS,
    log:
        "results/logs/study/classifier.log",
        provenance=provenance_record("study_classifier"),
    benchmark:
        "results/benchmarks/study_classifier.tsv"
    threads: STUDY["threads"]
    params:
        options=lambda wildcards, threads: step_options(
            "study-classifier",
            STUDY["classifier"],
            seed=config["seed"],
            device=config["device"],
            threads=threads,
        ),
        code=step_source_hash("study-classifier"),
    shell:
        step_command(
            "python -m latentspace study-classifier {params.options} --data {input}"
            " --model-out {output.model} --metrics-out {output.metrics}"
        )


rule study_model:
    input:
        model=model_file("{study_dim}", "model.pt"),
        data=DATASET,
    output:
        "results/study/z{study_dim}/model_statistics.json",
    log:
        "results/logs/study/model_z{study_dim}.log",
        provenance=provenance_record("study_model_z{study_dim}"),
    benchmark:
        "results/benchmarks/study_model_z{study_dim}.tsv"
    wildcard_constraints:
        study_dim=r"\d+",
    threads: STUDY["threads"]
    params:
        # F2's extent: a 2-D model measures the share of its training codes in that square.
        options=study_options("study-model", config["figures"]["latent_grid"]),
        code=step_source_hash("study-model"),
    shell:
        step_command(
            "python -m latentspace study-model {params.options} --model {input.model}"
            " --data {input.data} --output {output}"
        )


rule study_interpolation:
    input:
        model=model_file("{study_dim}", "model.pt"),
        data=DATASET,
        classifier=CLASSIFIER_MODEL,
    output:
        paths="results/study/z{study_dim}/path_metrics.csv",
        midpoints="results/study/z{study_dim}/midpoints.csv",
        midpoint_pairs="results/study/z{study_dim}/midpoint_pairs.npz",
    log:
        "results/logs/study/interpolation_z{study_dim}.log",
        provenance=provenance_record("study_interpolation_z{study_dim}"),
    benchmark:
        "results/benchmarks/study_interpolation_z{study_dim}.tsv"
    wildcard_constraints:
        study_dim=r"\d+",
    threads: STUDY["threads"]
    params:
        options=study_options("study-interpolation"),
        code=step_source_hash("study-interpolation"),
    shell:
        step_command(
            "python -m latentspace study-interpolation {params.options} --model {input.model}"
            " --data {input.data} --classifier {input.classifier}"
            " --paths-out {output.paths} --midpoints-out {output.midpoints}"
            " --midpoint-pairs-out {output.midpoint_pairs}"
        )


# The same two measurements of replicates 1, 2, ... (config `replicates`): same pairs,
# same classifier, same seed; only the model differs.
use rule study_model as study_model_replicate with:
    input:
        model=replicate_model_file("{study_dim}", "{replicate}", "model.pt"),
        data=DATASET,
    output:
        study_file("{study_dim}", "{replicate}", "model_statistics.json"),
    log:
        "results/logs/study/model_z{study_dim}_replicate{replicate}.log",
        provenance=provenance_record("study_model_z{study_dim}_replicate{replicate}"),
    benchmark:
        "results/benchmarks/study_model_z{study_dim}_replicate{replicate}.tsv"
    wildcard_constraints:
        study_dim=r"\d+",
        replicate=r"[1-9]\d*",


use rule study_interpolation as study_interpolation_replicate with:
    input:
        model=replicate_model_file("{study_dim}", "{replicate}", "model.pt"),
        data=DATASET,
        classifier=CLASSIFIER_MODEL,
    output:
        paths=study_file("{study_dim}", "{replicate}", "path_metrics.csv"),
        midpoints=study_file("{study_dim}", "{replicate}", "midpoints.csv"),
        midpoint_pairs=study_file("{study_dim}", "{replicate}", "midpoint_pairs.npz"),
    log:
        "results/logs/study/interpolation_z{study_dim}_replicate{replicate}.log",
        provenance=provenance_record(
            "study_interpolation_z{study_dim}_replicate{replicate}"
        ),
    benchmark:
        "results/benchmarks/study_interpolation_z{study_dim}_replicate{replicate}.tsv"
    wildcard_constraints:
        study_dim=r"\d+",
        replicate=r"[1-9]\d*",


# The geodesic files the summary gathers from every replicate: {option: file name}.
GEODESIC_SUMMARY_FILES = {
    "geodesic_midpoints": "geodesic_midpoints.csv",
    "geodesic_comparisons": "geodesic_comparisons.csv",
    "geodesic_pairs": "geodesic_pairs.npz",
}


rule study_summary:
    input:
        statistics=expand(
            "results/study/z{study_dim}/model_statistics.json",
            study_dim=STUDY_LATENT_DIMS,
        ),
        paths=expand(
            "results/study/z{study_dim}/path_metrics.csv", study_dim=STUDY_LATENT_DIMS
        ),
        midpoints=expand(
            "results/study/z{study_dim}/midpoints.csv", study_dim=STUDY_LATENT_DIMS
        ),
        # Replicates 1, 2, ...: every number of the summary is then given across replicates.
        replicate_statistics=[
            path.split("=", 1)[1]
            for path in replicate_study_files("model_statistics.json")
        ],
        replicate_midpoints=[
            path.split("=", 1)[1] for path in replicate_study_files("midpoints.csv")
        ],
        midpoint_pairs=[
            path.split("=", 1)[1]
            for path in replicate_study_files("midpoint_pairs.npz", first=0)
        ],
        # The geodesics of every replicate (study_geodesic): their rows join the tables.
        geodesic_paths=expand(
            "results/study/z{study_dim}/geodesic_path_metrics.csv",
            study_dim=STUDY_LATENT_DIMS,
        ),
        geodesic_files=[
            path.split("=", 1)[1]
            for name in GEODESIC_SUMMARY_FILES.values()
            for path in replicate_study_files(name, first=0)
        ],
        classifier=CLASSIFIER_METRICS,
    output:
        summary=SITE_ASSETS["study_summary"],
        models=report(
            SITE_ASSETS["study_models"],
            caption="../../site_templates/captions/study_models.rst",
            category="Study",
        ),
        paths=SITE_ASSETS["study_path_metrics"],
        midpoints=report(
            SITE_ASSETS["study_midpoints"],
            caption="../../site_templates/captions/study_midpoints.rst",
            category="Study",
        ),
        comparisons=SITE_ASSETS["study_geodesic_comparisons"],
    log:
        "results/logs/study/summary.log",
        provenance=provenance_record("study_summary"),
    benchmark:
        "results/benchmarks/study_summary.tsv"
    localrule: True
    params:
        options=step_options("study-summary", config, STUDY, GEODESIC),
        files=lambda wildcards, input: file_options(
            statistics=input.statistics,
            path_metrics=input.paths,
            midpoints=input.midpoints,
            replicate_statistics=replicate_study_files("model_statistics.json"),
            replicate_midpoints=replicate_study_files("midpoints.csv"),
            midpoint_pairs=replicate_study_files("midpoint_pairs.npz", first=0),
            geodesic_paths=input.geodesic_paths,
            **{
                option: replicate_study_files(name, first=0)
                for option, name in GEODESIC_SUMMARY_FILES.items()
            },
        ),
        code=step_source_hash("study-summary"),
    shell:
        step_command(
            "python -m latentspace study-summary {params.options} {params.files}"
            " --classifier-metrics {input.classifier}"
            " --summary-out {output.summary} --models-out {output.models} --paths-out {output.paths}"
            " --midpoints-out {output.midpoints} --comparisons-out {output.comparisons}"
        )


rule study_path_figures:
    input:
        SITE_ASSETS["study_path_metrics"],
    output:
        [
            report(
                SITE_ASSETS[f"study_path_{metric}"],
                caption=f"../../site_templates/captions/study_path_{metric}.rst",
                category="Study",
            )
            for metric in STUDY_METRICS
        ],
    log:
        "results/logs/study/path_figures.log",
        provenance=provenance_record("study_path_figures"),
    benchmark:
        "results/benchmarks/study_path_figures.tsv"
    localrule: True
    params:
        files=file_options(
            output=[
                f"{metric}={SITE_ASSETS[f'study_path_{metric}']}"
                for metric in STUDY_METRICS
            ]
        ),
        code=step_source_hash("study-path-figures"),
    shell:
        step_command(
            "python -m latentspace study-path-figures --path-metrics {input} {params.files}"
        )


rule study_midpoint_figure:
    input:
        SITE_ASSETS["study_midpoints"],
    output:
        report(
            SITE_ASSETS["study_midpoint_gaps"],
            caption="../../site_templates/captions/study_midpoint_gaps.rst",
            category="Study",
        ),
    log:
        "results/logs/study/midpoint_figure.log",
        provenance=provenance_record("study_midpoint_figure"),
    benchmark:
        "results/benchmarks/study_midpoint_figure.tsv"
    localrule: True
    params:
        code=step_source_hash("study-midpoint-figure"),
    shell:
        step_command(
            "python -m latentspace study-midpoint-figure --midpoints {input} --output {output}"
        )


rule study_norm_figure:
    input:
        SITE_ASSETS["study_summary"],
    output:
        report(
            SITE_ASSETS["study_latent_norms"],
            caption="../../site_templates/captions/study_latent_norms.rst",
            category="Study",
        ),
    log:
        "results/logs/study/norm_figure.log",
        provenance=provenance_record("study_norm_figure"),
    benchmark:
        "results/benchmarks/study_norm_figure.tsv"
    localrule: True
    params:
        code=step_source_hash("study-norm-figure"),
    shell:
        step_command(
            "python -m latentspace study-norm-figure --summary {input} --output {output}"
        )


rule study_kl_figure:
    input:
        SITE_ASSETS["study_summary"],
    output:
        report(
            SITE_ASSETS["study_kl_spectrum"],
            caption="../../site_templates/captions/study_kl_spectrum.rst",
            category="Study",
        ),
    log:
        "results/logs/study/kl_figure.log",
        provenance=provenance_record("study_kl_figure"),
    benchmark:
        "results/benchmarks/study_kl_figure.tsv"
    localrule: True
    params:
        code=step_source_hash("study-kl-figure"),
    shell:
        step_command(
            "python -m latentspace study-kl-figure --summary {input} --output {output}"
        )


# The pair Figure 11 shows, scored by the study's classifier: the page prints each digit's
# confidence and norm under the figure (the figure's own step does not run the classifier).
rule study_pair_scores:
    input:
        lerp=f"results/paths/lerp_{INTERPOLATION_LATENT_DIM}d.npz",
        slerp=f"results/paths/slerp_{INTERPOLATION_LATENT_DIM}d.npz",
        classifier=CLASSIFIER_MODEL,
    output:
        SITE_ASSETS["study_f11_pair_scores"],
    log:
        "results/logs/study/pair_scores.log",
        provenance=provenance_record("study_pair_scores"),
    benchmark:
        "results/benchmarks/study_pair_scores.tsv"
    localrule: True
    params:
        options=step_options("study-pair-scores", device=config["device"]),
        code=step_source_hash("study-pair-scores"),
    shell:
        step_command(
            "python -m latentspace study-pair-scores {params.options} --lerp {input.lerp}"
            " --slerp {input.slerp} --classifier {input.classifier} --output {output}"
        )


rule study_replicate_figure:
    input:
        SITE_ASSETS["study_summary"],
    output:
        report(
            SITE_ASSETS["study_replicate_midpoints"],
            caption="../../site_templates/captions/study_replicate_midpoints.rst",
            category="Study",
        ),
    log:
        "results/logs/study/replicate_figure.log",
        provenance=provenance_record("study_replicate_figure"),
    benchmark:
        "results/benchmarks/study_replicate_figure.tsv"
    localrule: True
    params:
        code=step_source_hash("study-replicate-figure"),
    shell:
        step_command(
            "python -m latentspace study-replicate-figure --summary {input} --output {output}"
        )


# The fourth path: every pair of the study joined by its geodesic under the decoder's
# pulled-back Fisher-Rao metric (latentspace.study.geodesic_quality), and every path of every
# method measured in that metric. Its own job per model, after study_interpolation: changing
# study.geodesic re-runs these, the summary, the figures and the site, never the other scores.
# What study_interpolation scored for the same pairs (the flat paths' midpoints, the pairs'
# ends) is read from its midpoint_pairs.npz, not scored again; a size the study leaves out
# (solved for the figures only) has no such file and scores them itself (common.smk).
rule study_geodesic:
    input:
        model=model_file("{study_dim}", "model.pt"),
        data=DATASET,
        classifier=CLASSIFIER_MODEL,
        midpoint_pairs=studied_midpoint_pairs,
    output:
        paths="results/study/z{study_dim}/geodesic_path_metrics.csv",
        midpoints="results/study/z{study_dim}/geodesic_midpoints.csv",
        comparisons="results/study/z{study_dim}/geodesic_comparisons.csv",
        pairs="results/study/z{study_dim}/geodesic_pairs.npz",
        examples="results/study/z{study_dim}/geodesic_examples.npz",
    log:
        "results/logs/study/geodesic_z{study_dim}.log",
        provenance=provenance_record("study_geodesic_z{study_dim}"),
    benchmark:
        "results/benchmarks/study_geodesic_z{study_dim}.tsv"
    wildcard_constraints:
        study_dim=r"\d+",
    threads: STUDY["threads"]
    params:
        options=lambda wildcards, threads: step_options(
            "study-geodesic",
            STUDY,
            GEODESIC,
            seed=config["seed"],
            device=config["device"],
            threads=threads,
        ),
        files=lambda wildcards, input: file_options(midpoint_pairs=input.midpoint_pairs),
        code=step_source_hash("study-geodesic"),
    shell:
        step_command(
            "python -m latentspace study-geodesic {params.options} --model {input.model}"
            " --data {input.data} --classifier {input.classifier} {params.files}"
            " --paths-out {output.paths} --midpoints-out {output.midpoints}"
            " --comparisons-out {output.comparisons} --pairs-out {output.pairs}"
            " --examples-out {output.examples}"
        )


use rule study_geodesic as study_geodesic_replicate with:
    input:
        model=replicate_model_file("{study_dim}", "{replicate}", "model.pt"),
        data=DATASET,
        classifier=CLASSIFIER_MODEL,
        midpoint_pairs=studied_midpoint_pairs,
    output:
        paths=study_file("{study_dim}", "{replicate}", "geodesic_path_metrics.csv"),
        midpoints=study_file("{study_dim}", "{replicate}", "geodesic_midpoints.csv"),
        comparisons=study_file("{study_dim}", "{replicate}", "geodesic_comparisons.csv"),
        pairs=study_file("{study_dim}", "{replicate}", "geodesic_pairs.npz"),
        examples=study_file("{study_dim}", "{replicate}", "geodesic_examples.npz"),
    log:
        "results/logs/study/geodesic_z{study_dim}_replicate{replicate}.log",
        provenance=provenance_record("study_geodesic_z{study_dim}_replicate{replicate}"),
    benchmark:
        "results/benchmarks/study_geodesic_z{study_dim}_replicate{replicate}.tsv"
    wildcard_constraints:
        study_dim=r"\d+",
        replicate=r"[1-9]\d*",


rule study_geodesic_plane:
    input:
        model=model_file(2, "model.pt"),
        examples="results/study/z2/geodesic_examples.npz",
    output:
        figure=report(
            SITE_ASSETS["study_geodesic_plane"],
            caption="../../site_templates/captions/study_geodesic_plane.rst",
            category="Study",
        ),
        map="results/study/z2/magnification_map.npz",
    log:
        "results/logs/study/geodesic_plane.log",
        provenance=provenance_record("study_geodesic_plane"),
    benchmark:
        "results/benchmarks/study_geodesic_plane.tsv"
    localrule: True
    params:
        options=step_options("study-geodesic-plane", GEODESIC, device=config["device"]),
        code=step_source_hash("study-geodesic-plane"),
    shell:
        step_command(
            "python -m latentspace study-geodesic-plane {params.options} --model {input.model}"
            " --examples {input.examples} --output {output.figure} --map-out {output.map}"
        )


rule study_geodesic_digits:
    input:
        [f"results/study/z{dim}/geodesic_examples.npz" for dim in GEODESIC_DIGIT_DIMS],
    output:
        report(
            SITE_ASSETS["study_geodesic_digits"],
            caption="../../site_templates/captions/study_geodesic_digits.rst",
            category="Study",
        ),
    log:
        "results/logs/study/geodesic_digits.log",
        provenance=provenance_record("study_geodesic_digits"),
    benchmark:
        "results/benchmarks/study_geodesic_digits.tsv"
    localrule: True
    params:
        code=step_source_hash("study-geodesic-digits"),
    shell:
        step_command(
            "python -m latentspace study-geodesic-digits --examples {input} --output {output}"
        )
