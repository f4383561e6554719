"""GPU requests on SLURM: refused before submission where no node has a GPU, warned about where unused."""

from __future__ import annotations

import pytest
import torch

from latentspace.cli import main as cli_main
from latentspace.pipeline.cluster import ClusterError, check_slurm_gpus, granted_gpus, has_gpu_gres, unused_gpu_warning


def train_argv(data) -> list[str]:
    """The training step's command line, every option given as the rule gives them."""
    return ["train", "--data", str(data), "--latent-dim", "2", "--hidden-dims", "8", "--epochs", "1",
            "--batch-size", "128", "--learning-rate", "0.001", "--seed", "0", "--device", "auto", "--threads", "1",
            "--model-out", "m", "--history-out", "h", "--metrics-out", "x"]  # fmt: skip


@pytest.mark.parametrize(
    "lines, expected",
    [
        (["(null)"], False),  # sinfo --format=%G on a node without generic resources
        (["(null)", "(null)"], False),
        (["shard:8,license:2"], False),
        (["gpuless:1"], False),
        ([], False),
        (["(null)", "gpu:4"], True),
        (["gpu:a100:4(S:0-1)"], True),
        (["tmpdisk:100,gpu:v100:2"], True),
        (["gpu"], True),
    ],
)
def test_gpu_gres_is_recognised_in_sinfo_lines(lines, expected):
    assert has_gpu_gres(lines) is expected


def test_a_gpu_request_on_a_cluster_without_gpus_is_one_line_naming_the_setting():
    with pytest.raises(ClusterError) as raised:
        check_slurm_gpus(1, ["(null)"])
    message = str(raised.value)
    assert message.startswith("config: train.resources.gpu: 1 GPU(s) per training job, but no node")
    assert "Invalid generic resource (gres) specification" in message and "train.resources.gpu: 0" in message
    assert "\n" not in message


@pytest.mark.parametrize("gpus, lines", [(0, ["(null)"]), (1, ["gpu:2"]), (2, None)])
def test_cpu_jobs_gpu_clusters_and_an_unknown_cluster_pass(gpus, lines, monkeypatch):
    monkeypatch.setenv("PATH", "")  # no sinfo: nothing can be said about the cluster
    check_slurm_gpus(gpus, lines)


@pytest.mark.parametrize(
    "environ, expected",
    [
        ({}, None),
        ({"SLURM_GPUS_ON_NODE": "1"}, None),  # not inside a job
        ({"SLURM_JOB_ID": "5"}, None),
        ({"SLURM_JOB_ID": "5", "SLURM_GPUS_ON_NODE": "0"}, None),
        ({"SLURM_JOB_ID": "5", "CUDA_VISIBLE_DEVICES": "NoDevFiles"}, None),
        ({"SLURM_JOB_ID": "5", "CUDA_VISIBLE_DEVICES": ""}, None),
        ({"SLURM_JOB_ID": "5", "SLURM_GPUS_ON_NODE": "2"}, "SLURM_GPUS_ON_NODE=2"),
        ({"SLURM_JOB_ID": "5", "SLURM_STEP_GPUS": "0"}, "SLURM_STEP_GPUS=0"),
        ({"SLURM_JOB_ID": "5", "SLURM_JOB_GPUS": "1,3"}, "SLURM_JOB_GPUS=1,3"),
        ({"SLURM_JOB_ID": "5", "CUDA_VISIBLE_DEVICES": "0"}, "CUDA_VISIBLE_DEVICES=0"),
    ],
)
def test_gpus_granted_by_slurm_are_read_from_its_variables(environ, expected):
    assert granted_gpus(environ) == expected


def test_training_off_the_gpu_slurm_gave_is_one_warning_line():
    environ = {"SLURM_JOB_ID": "5", "SLURM_GPUS_ON_NODE": "1"}
    warning = unused_gpu_warning(environ, torch.device("cpu"))
    assert warning.startswith("warning: SLURM job 5 was given a GPU (SLURM_GPUS_ON_NODE=1) but ")
    expected_reason = "device is set to cpu" if torch.cuda.is_available() else "sees no CUDA device"
    assert expected_reason in warning and "training runs on cpu" in warning and "\n" not in warning


@pytest.mark.parametrize(
    "environ, device",
    [
        ({"SLURM_JOB_ID": "5", "SLURM_GPUS_ON_NODE": "1"}, torch.device("cuda")),
        ({"SLURM_JOB_ID": "5"}, torch.device("cpu")),
        ({}, torch.device("cpu")),
    ],
)
def test_no_warning_when_the_gpu_is_used_or_none_was_given(environ, device):
    assert unused_gpu_warning(environ, device) is None


@pytest.mark.skipif(torch.cuda.is_available(), reason="device auto takes the GPU here")
def test_the_train_step_warns_before_it_starts(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("SLURM_JOB_ID", "7")
    monkeypatch.setenv("SLURM_GPUS_ON_NODE", "1")
    assert cli_main(train_argv(tmp_path / "none.npz")) == 1  # stops at the missing data, after the warning
    lines = capsys.readouterr().err.splitlines()
    assert lines[0].startswith("latentspace train: warning: SLURM job 7 was given a GPU (SLURM_GPUS_ON_NODE=1)")
    assert lines[1].startswith("latentspace train: error:") and len(lines) == 2
