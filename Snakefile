# latentspace: data -> one VAE per latent size -> figures -> static article site.
# This file only wires the configuration, its validation and the stages; every step
# is a command of the installed package (python -m latentspace STEP).

from snakemake.utils import min_version

from latentspace.pipeline.cluster import check_slurm_gpus
from latentspace.settings.validation import validate_config

min_version("9.0")


configfile: "config.yaml"


# Fails before any job runs, with one line naming the bad field.
validate_config(config, workflow.source_path("workflow/schemas/config.schema.yaml"))


# Before the first submission to SLURM: a GPU request on a cluster without GPUs would be
# refused job after job ("Invalid generic resource (gres) specification"); say it once.
onstart:
    if workflow.executor_plugin.name == "slurm" and any(
        job.rule.name in ("train", "train_replicate")
        for job in workflow.dag.needrun_jobs()
    ):
        check_slurm_gpus(config["train"]["resources"]["gpu"])


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/figures.smk"
include: "workflow/rules/paths.smk"
include: "workflow/rules/article_figures.smk"
include: "workflow/rules/study.smk"
include: "workflow/rules/explorer.smk"
include: "workflow/rules/site.smk"


rule all:
    default_target: True
    input:
        "site",
