"""The article's figures F1, F3-F12: the files themselves, their determinism, and their rules.

Figure functions and CLI commands run on real (tiny, untrained) models and small settings;
the end-to-end checks read the outputs of the shared reduced pipeline run (``pipeline_run``).
"""

from __future__ import annotations

import json
import math
import re
import shlex
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import imageio.v3 as iio
import numpy as np
import pytest
import torch
import yaml

from conftest import REDUCED_CONFIG, effective_config, run_snakemake
from latentspace.cli import main, step_options
from latentspace.errors import LatentspaceError
from latentspace.settings.declared import VideoSettings
from latentspace.figures.animation import (
    animation_figure,
    blit_frames,
    ffmpeg_encoders,
    render_animation,
    write_animation,
)
from latentspace.figures.interpolation import interpolation_mosaic, interpolation_summary
from latentspace.figures.path_animations import sphere_spiral_scene, spiral_2d_scene
from latentspace.figures.rendering import plt
from latentspace.figures.sphere_spirals import progress_chunks
from latentspace.model.vae import VAEConfig
from latentspace.model.latent_paths import (
    DecodedPath,
    check_interpolation_pair,
    decode_path,
    interpolation_path,
    sphere_spiral_path,
    spiral_2d_path,
)
from latentspace.training.loop import build_model

REDUCED = yaml.safe_load(REDUCED_CONFIG.read_text())
HAS_VP9 = "libvpx-vp9" in ffmpeg_encoders()


def tiny_model(latent_dim: int):
    return build_model(VAEConfig(latent_dim, (16,)), 0, torch.device("cpu"))


@pytest.fixture(scope="module")
def spiral_decoded() -> DecodedPath:
    return decode_path(tiny_model(2), spiral_2d_path(7, 3 * math.pi))


@pytest.fixture(scope="module")
def interpolation_pair() -> tuple[DecodedPath, DecodedPath]:
    model = tiny_model(50)
    return tuple(decode_path(model, interpolation_path(method, 50, 5, seed=11)) for method in ("lerp", "slerp"))


def assert_svg(path):
    root = ElementTree.parse(path).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    text = path.read_text()
    assert "<dc:date>" not in text  # no timestamp: same config, same bytes


def video_settings(**changes) -> VideoSettings:
    """Video settings as in the default configuration, with ``changes``."""
    return VideoSettings(**{"fps": 25.0, "h264_crf": 20, "vp9_crf": 34, "poster_at": 1.0, **changes})


def video_frames(path) -> np.ndarray:
    """Every frame of a video file, (frames, H, W, 3) uint8."""
    return iio.imread(path, plugin="FFMPEG", index=None)


# --------------------------------------------------------------------------
# Static figures through the CLI: valid SVG (that a second process draws the same bytes is
# test_pipeline_figures_are_reproduced_byte_for_byte, on the pipeline's own files)
# --------------------------------------------------------------------------

STATIC_COMMANDS = {
    "autoencoder": ["autoencoder-diagram", "--hidden-dims", "64", "32"],
    "ball_volume": ["ball-volume", "--max-dim", "9"],
    "norm_concentration": ["norm-concentration", "--dims", "1", "10", "100", "--samples", "100", "--seed", "3"],
    "sphere_spiral_3d": ["sphere-spiral-3d", "--turns", "3", "--steps", "150", "--uniform-points", "50",
                         "--seed", "3"],
    "projections_3d": ["projections", "--n", "3", "--turns", "3", "--steps", "150"],
    "projections_4d": ["projections", "--n", "4", "--turns", "3", "--steps", "150"],
    "lerp_vs_slerp": ["lerp-vs-slerp", "--angle-degrees", "100", "--steps", "5"],
}


@pytest.fixture(scope="module")
def static_figures(tmp_path_factory) -> dict[str, Path]:
    """Each static figure drawn through the command line, once for the tests of this module."""
    folder = tmp_path_factory.mktemp("static-figures")
    drawn = {}
    for name, command in STATIC_COMMANDS.items():
        drawn[name] = folder / f"{name}.svg"
        assert main([*command, "--output", str(drawn[name])]) == 0
    return drawn


@pytest.mark.parametrize("name", sorted(STATIC_COMMANDS))
def test_static_figure_is_valid_svg(name, static_figures):
    assert_svg(static_figures[name])


def test_projections_figure_has_one_panel_per_pair(static_figures):
    for n, panels in ((3, 3), (4, 6)):
        output = static_figures[f"projections_{n}d"]
        labels = set(re.findall(r"<!-- \$x_(\d)\$ -->", output.read_text()))
        assert labels == {str(k) for k in range(1, n + 1)}
        assert output.read_text().count('id="axes_') == panels + 1  # + the colour bar


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["ball-volume", "--max-dim", "3"], "argument --max-dim: expected an integer from 6 to 1000, got '3'"),
        (["lerp-vs-slerp", "--angle-degrees", "180", "--steps", "5"],
         "argument --angle-degrees: expected a number above 0 and below 180, got '180'"),
        (["projections", "--n", "2", "--turns", "1", "--steps", "9"], "argument --n: expected an integer of at least 3, got '2'"),
    ],
)
def test_bad_figure_settings_give_one_line(arguments, message, tmp_path, capsys):
    """The declared bounds of a setting stop the step before it runs: one line, the usage-error status."""
    output = tmp_path / "x.svg"
    assert main([*arguments, "--output", str(output)]) == 2
    error = capsys.readouterr().err
    assert error.startswith(f"latentspace {arguments[0]}: error: {message}") and error.count("\n") == 1
    assert not output.exists()


def test_progress_chunks_cover_the_path_and_join():
    points = np.arange(20.0).reshape(10, 2)
    chunks = progress_chunks(points, chunks=4)
    assert len(chunks) == 4
    np.testing.assert_array_equal(chunks[0][0], points[0])
    np.testing.assert_array_equal(chunks[-1][-1], points[-1])
    for before, after in zip(chunks[:-1], chunks[1:]):
        np.testing.assert_array_equal(before[-1], after[0])
    assert sum(len(chunk) - 1 for chunk in chunks) == len(points) - 1


# --------------------------------------------------------------------------
# Animations
# --------------------------------------------------------------------------


@pytest.mark.parametrize("figure", ["F3", "F7"])
def test_blitted_frames_equal_full_redraws(figure, spiral_decoded):
    """Blitting must leave no stale pixels: each frame equals a fresh, complete draw.

    At the default frame size, where no panel's labels spill over another panel (blitting
    draws the moving artists after every panel; a full draw interleaves them by panel).
    """
    if figure == "F3":
        def make_scene():
            return spiral_2d_scene(spiral_decoded, 960, 320, 2.5)
    else:
        decoded = decode_path(tiny_model(10), sphere_spiral_path(10, 7, turns=2))

        def make_scene():
            return sphere_spiral_scene(decoded, 960, 320)
    scene = make_scene()
    blitted = [np.array(frame) for frame in blit_frames(scene.fig, scene.animated, scene.update, scene.frame_count)]
    plt.close(scene.fig)
    for index in (0, 3, 6):
        fresh = make_scene()
        fresh.update(index)
        fresh.fig.canvas.draw()
        np.testing.assert_array_equal(blitted[index], np.asarray(fresh.fig.canvas.buffer_rgba()))
        plt.close(fresh.fig)
    assert not np.array_equal(blitted[0], blitted[6])  # the frames do move


def test_spiral_animation_files(spiral_decoded, tmp_path):
    settings = video_settings(fps=10, poster_at=0.5)
    outputs = {"mp4": tmp_path / "a.mp4", "poster": tmp_path / "a.png",
               "webm": tmp_path / "a.webm" if HAS_VP9 else None}
    times = render_animation(spiral_2d_scene(spiral_decoded, 320, 128, 2.5), settings,
                             outputs["mp4"], outputs["poster"], outputs["webm"])
    assert times.frames == 7
    frames = video_frames(outputs["mp4"])
    assert frames.shape == (7, 128, 320, 3)
    poster = iio.imread(outputs["poster"])
    assert poster.shape == (128, 320, 3)
    # The poster is frame 3 of 7; the video went through lossy yuv420p, so compare loosely.
    distance_to_poster = [np.abs(frame.astype(int) - poster.astype(int)).mean() for frame in frames]
    assert distance_to_poster[3] < 4 and distance_to_poster[3] == min(distance_to_poster)
    data = outputs["mp4"].read_bytes()
    assert data[4:8] == b"ftyp" and data.index(b"moov") < data.index(b"mdat")  # +faststart
    if HAS_VP9:
        assert video_frames(outputs["webm"]).shape == (7, 128, 320, 3)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in outputs.values() if p)


def test_animation_is_reproducible(spiral_decoded, tmp_path):
    for attempt in (1, 2):
        render_animation(spiral_2d_scene(spiral_decoded, 160, 64, 2.0), video_settings(fps=5),
                         tmp_path / f"{attempt}.mp4", tmp_path / f"{attempt}.png")
    np.testing.assert_array_equal(video_frames(tmp_path / "1.mp4"), video_frames(tmp_path / "2.mp4"))
    assert (tmp_path / "1.mp4").read_bytes() == (tmp_path / "2.mp4").read_bytes()
    assert (tmp_path / "1.png").read_bytes() == (tmp_path / "2.png").read_bytes()


def test_sphere_spiral_animation_command(tmp_path):
    decoded = decode_path(tiny_model(10), sphere_spiral_path(10, 5, turns=2))
    from latentspace.model.latent_paths import save_decoded_path

    save_decoded_path(decoded, tmp_path / "path.npz")
    code = main(["sphere-spiral-animation", "--path", str(tmp_path / "path.npz"), "--width-px", "256",
                 "--height-px", "96", "--fps", "5", "--h264-crf", "20", "--vp9-crf", "34", "--poster-at", "1", "--output", str(tmp_path / "f7.mp4"),
                 "--poster", str(tmp_path / "f7.png")])
    assert code == 0
    assert video_frames(tmp_path / "f7.mp4").shape == (5, 96, 256, 3)
    assert iio.imread(tmp_path / "f7.png").shape == (96, 256, 3)


def test_sphere_spiral_scene_draws_one_bar_per_component():
    decoded = decode_path(tiny_model(10), sphere_spiral_path(10, 4, turns=1))
    scene = sphere_spiral_scene(decoded, 256, 96)
    bars = [artist for artist in scene.animated if type(artist).__name__ == "Rectangle"]
    scene.update(2)
    assert [bar.get_height() for bar in bars] == pytest.approx(decoded.latents[2].tolist())
    plt.close(scene.fig)


def test_a_failed_animation_leaves_no_file(tmp_path):
    frames = (np.zeros((32, 48, 3), np.uint8) for _ in range(3))
    with pytest.raises(LatentspaceError, match="expected 5 frames, got 3"):
        write_animation(frames, 5, video_settings(), tmp_path / "a.mp4", tmp_path / "a.png",
                        tmp_path / "a.webm" if HAS_VP9 else None)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("width, height", [(321, 128), (320, 127), (8, 8)])
def test_odd_or_tiny_frame_sizes_are_refused(width, height):
    with pytest.raises(LatentspaceError, match=r"expected an even number of pixels >= 16"):
        animation_figure(width, height)


@pytest.mark.parametrize(
    "settings, message",
    [({"fps": 0}, "^fps: expected a number above 0 and at most 120, got 0"),
     ({"h264_crf": 52}, "^h264_crf: expected an integer from 0 to 51, got 52"),
     ({"poster_at": 1.5}, "^poster_at: expected a number from 0 to 1, got 1.5")],
)
def test_bad_video_settings_are_named(settings, message):
    with pytest.raises(LatentspaceError, match=message):
        video_settings(**settings)


# --------------------------------------------------------------------------
# F11 and F12
# --------------------------------------------------------------------------


def test_latent_grid_figure_shows_every_decoded_pixel_on_labelled_axes(tmp_path):
    """F2: the mosaic, each pixel a whole MOSAIC_SCALE block of the PNG, on axes z1 and z2 whose
    ticks sit at the codes they name (each tile centred on its code)."""
    from latentspace.figures.latent_grid import (
        MARGINS_PX, MOSAIC_SCALE, latent_grid_figure, save_latent_grid_figure, tile_half_width,
    )

    mosaic = np.random.default_rng(0).integers(0, 256, (28 * 3, 28 * 3), dtype=np.uint8)
    fig = latent_grid_figure(mosaic, 2.0, 3)
    ax = fig.axes[0]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("$z_1$", "$z_2$")
    assert list(ax.get_xticks()) == list(ax.get_yticks()) == [-2.0, -1.0, 0.0, 1.0, 2.0]
    assert ax.get_xlim() == pytest.approx((-2.0 - tile_half_width(2.0, 3), 2.0 + tile_half_width(2.0, 3)))
    assert ax.get_ylim() == pytest.approx(ax.get_xlim())
    save_latent_grid_figure(fig, tmp_path / "grid.png")
    image = iio.imread(tmp_path / "grid.png")
    left, bottom, right, top = (margin * MOSAIC_SCALE for margin in MARGINS_PX)
    assert image.shape[:2] == (mosaic.shape[0] * MOSAIC_SCALE + top + bottom,
                               mosaic.shape[1] * MOSAIC_SCALE + left + right)
    drawn = image[top : top + mosaic.shape[0] * MOSAIC_SCALE, left : left + mosaic.shape[1] * MOSAIC_SCALE, :3]
    blocks = np.kron(mosaic, np.ones((MOSAIC_SCALE, MOSAIC_SCALE), dtype=np.uint8))
    assert all(np.array_equal(drawn[..., channel], blocks) for channel in range(3))
    save_latent_grid_figure(latent_grid_figure(mosaic, 2.0, 3), tmp_path / "again.png")
    assert (tmp_path / "again.png").read_bytes() == (tmp_path / "grid.png").read_bytes()


def test_kl_spectrum_figure_has_one_panel_per_model_with_its_counts():
    from latentspace.figures.study_kl_spectrum import kl_spectrum_figure
    from test_study_tables import summary_for

    summary = summary_for(models={50: {"kl_per_dim": [1.0] * 6 + [0.3] * 6 + [0.01] * 38, "active_units": 48}})
    fig = kl_spectrum_figure(summary["models"])
    try:
        assert [ax.get_title() for ax in fig.axes] == [
            "z = 2: 2 above 0.1 nats,\n2 of 2 active (Burda)", "z = 50: 12 above 0.1 nats,\n48 of 50 active (Burda)"]
        line = fig.axes[1].lines[0]
        assert list(line.get_ydata()) == sorted(summary["models"][1]["kl_per_dim_nats"], reverse=True)
        legend = [text.get_text() for text in fig.axes[1].get_legend().get_texts()]
        assert legend == ["0.1 nats", "half of the KL: 5 units", "90% of the KL: 11 units"]
    finally:
        plt.close(fig)


def test_interpolation_mosaic_rows_and_size(interpolation_pair):
    lerp_path, slerp_path = interpolation_pair
    mosaic = interpolation_mosaic(lerp_path, slerp_path, padding_px=2)
    assert mosaic.shape == (2 * 28 + 2, 5 * 28 + 4 * 2) and mosaic.dtype == np.uint8
    np.testing.assert_array_equal(mosaic[:28, 30:58], lerp_path.images[1])
    np.testing.assert_array_equal(mosaic[30:, :28], slerp_path.images[0])
    assert (mosaic[28:30] == 255).all()


def test_interpolation_summary_quotes_the_geometry(interpolation_pair):
    summary = interpolation_summary(*interpolation_pair)
    radius = math.sqrt(50)
    assert summary["sphere_radius"] == pytest.approx(radius)
    assert summary["endpoint_norms"] == pytest.approx([radius, radius])
    half_angle = math.radians(summary["endpoint_angle_degrees"]) / 2
    assert summary["lerp_midpoint_norm"] == pytest.approx(radius * math.cos(half_angle))
    assert summary["slerp_midpoint_norm"] == pytest.approx(radius)
    assert summary["lerp_midpoint_norm_drop"] == pytest.approx(radius - summary["lerp_midpoint_norm"])
    assert summary["prior_norm_mean"] == pytest.approx(radius, rel=0.01)
    assert summary["prior_norm_std"] == pytest.approx(1 / math.sqrt(2), rel=0.02)
    json.dumps(summary)  # plain numbers only


def test_mismatched_interpolation_paths_are_refused(interpolation_pair):
    lerp_path, _ = interpolation_pair
    other = decode_path(tiny_model(50), interpolation_path("slerp", 50, 5, seed=12))
    with pytest.raises(ValueError, match="do not join the same endpoints"):
        check_interpolation_pair(lerp_path, other)


def test_interpolation_commands(interpolation_pair, tmp_path):
    import torch

    from latentspace.model.latent_paths import save_decoded_path
    from latentspace.settings.declared import ClassifierRun
    from latentspace.study.classifier import DigitClassifier, save_classifier

    for name, path in zip(("lerp", "slerp"), interpolation_pair):
        save_decoded_path(path, tmp_path / f"{name}.npz")
    torch.manual_seed(0)  # an untrained classifier: its confidences are real outputs, just not good ones
    save_classifier(tmp_path / "classifier.pt", DigitClassifier(), ClassifierRun(epochs=1, batch_size=8, learning_rate=1e-3, seed=0))
    inputs = ["--lerp", str(tmp_path / "lerp.npz"), "--slerp", str(tmp_path / "slerp.npz")]
    assert main(["interpolation-mosaic", *inputs, "--padding-px", "1", "--output", str(tmp_path / "f11.png"),
                 "--summary", str(tmp_path / "f11.json")]) == 0
    assert iio.imread(tmp_path / "f11.png").shape == (57, 5 * 28 + 4)
    summary = json.loads((tmp_path / "f11.json").read_text())
    assert summary["latent_dim"] == 50
    # The study, not the figure, scores the pair shown: the evidence printed under each digit.
    assert main(["study-pair-scores", *inputs, "--classifier", str(tmp_path / "classifier.pt"), "--device", "cpu",
                 "--output", str(tmp_path / "scores.json")]) == 0
    scores = json.loads((tmp_path / "scores.json").read_text())
    assert scores["latent_dim"] == 50 and scores["middle_columns"] == [2]
    for method in ("lerp", "slerp"):
        assert len(scores[f"{method}_confidences"]) == 5 and all(0.1 <= c <= 1 for c in scores[f"{method}_confidences"])
        assert scores[f"{method}_middle_confidence"] == scores[f"{method}_confidences"][2]
        assert len(scores[f"{method}_norm_ratios"]) == 5
    ends = [scores[f"{method}_confidences"][index] for method in ("lerp", "slerp") for index in (0, -1)]
    assert scores["endpoint_confidence_mean"] == pytest.approx(sum(ends) / 4)
    assert scores["slerp_norm_ratios"] == pytest.approx([1.0] * 5)
    assert scores["lerp_norm_ratios"][2] == pytest.approx(summary["lerp_midpoint_norm_ratio"])
    assert main(["interpolation-norms", *inputs, "--curve-steps", "30",
                 "--output", str(tmp_path / "f12.svg")]) == 0
    assert_svg(tmp_path / "f12.svg")


# --------------------------------------------------------------------------
# End to end: the reduced pipeline's figures, and what a config change re-runs
# --------------------------------------------------------------------------

SVG_FIGURES = ["f01_autoencoder", "f04_ball_volume", "f05_norm_concentration", "f06_sphere_spiral_3d",
               "f08_projections_3d", "f09_projections_4d", "f10_lerp_vs_slerp", "f12_interpolation_norms"]
ANIMATIONS = {"f03_spiral_2d": "spiral_2d", "f07_sphere_spiral_10d": "sphere_spiral_10d"}


def test_pipeline_wrote_every_figure(pipeline_run):
    figures = pipeline_run / "results" / "figures"
    for name in SVG_FIGURES:
        assert_svg(figures / f"{name}.svg")
        assert (pipeline_run / "site" / "figures" / f"{name}.svg").is_file()
    for name, section in ANIMATIONS.items():
        settings = REDUCED["figures"][section]
        shape = (settings["height_px"], settings["width_px"], 3)
        assert video_frames(figures / f"{name}.mp4").shape == (settings["frames"], *shape)
        if HAS_VP9:
            assert video_frames(figures / f"{name}.webm").shape == (settings["frames"], *shape)
        assert iio.imread(figures / f"{name}_poster.png").shape == shape
    steps, padding = (REDUCED["figures"]["interpolation_500d"][key] for key in ("steps", "padding_px"))
    mosaic_shape = (2 * 28 + padding, steps * 28 + (steps - 1) * padding)
    assert iio.imread(figures / "f11_interpolation_500d.png").shape == mosaic_shape
    summary = json.loads((figures / "f11_interpolation_500d.json").read_text())
    assert summary["latent_dim"] == 500 and summary["sphere_radius"] == pytest.approx(math.sqrt(500))
    assert 0.6 < summary["lerp_midpoint_norm_ratio"] < 0.8
    scores = json.loads((pipeline_run / "results" / "study" / "f11_pair_scores.json").read_text())
    assert len(scores["lerp_confidences"]) == len(scores["slerp_confidences"]) == steps


def reduced_figure_commands() -> dict[str, list[str]]:
    """The CLI arguments the rules give each pure-math figure under the reduced config."""
    figures, seed = REDUCED["figures"], str(REDUCED["seed"])
    # The reduced config leaves F10 as config.yaml sets it: the settings the run sees.
    lerp_vs_slerp = effective_config()["figures"]["lerp_vs_slerp"]
    spiral = figures["sphere_spiral_3d"]
    return {
        "f01_autoencoder": ["autoencoder-diagram", "--hidden-dims", *map(str, REDUCED["model"]["hidden_dims"])],
        "f04_ball_volume": ["ball-volume", "--max-dim", str(figures["ball_volume"]["max_dim"])],
        "f05_norm_concentration": ["norm-concentration", "--dims", *map(str, figures["norm_concentration"]["dims"]),
                                   "--samples", str(figures["norm_concentration"]["samples"]), "--seed", seed],
        "f06_sphere_spiral_3d": ["sphere-spiral-3d", "--turns", str(spiral["turns"]), "--steps", str(spiral["steps"]),
                                 "--uniform-points", str(spiral["uniform_points"]), "--seed", seed],
        "f08_projections_3d": ["projections", "--n", "3", "--turns", str(spiral["turns"]),
                               "--steps", str(spiral["steps"])],
        "f09_projections_4d": ["projections", "--n", "4", "--turns", str(figures["projections_4d"]["turns"]),
                               "--steps", str(figures["projections_4d"]["steps"])],
        "f10_lerp_vs_slerp": ["lerp-vs-slerp", *shlex.split(step_options("lerp-vs-slerp", lerp_vs_slerp))],
    }


@pytest.mark.parametrize("name", sorted(reduced_figure_commands()))
def test_pipeline_figures_are_reproduced_byte_for_byte(name, pipeline_run, tmp_path):
    """The CLI, run again in another process with the reduced config's settings, gives the pipeline's
    bytes: the same config draws the same file."""
    output = tmp_path / f"{name}.svg"
    assert main([*reduced_figure_commands()[name], "--output", str(output)]) == 0
    assert output.read_bytes() == (pipeline_run / "results" / "figures" / f"{name}.svg").read_bytes()


def planned_jobs(workdir, config_change, tmp_path) -> set[str]:
    """The jobs ``snakemake -n`` plans after ``config_change`` is applied to the reduced config."""
    config = yaml.safe_load(REDUCED_CONFIG.read_text())
    config_change(config)
    changed = tmp_path / "changed.yaml"
    changed.write_text(yaml.safe_dump(config))
    result = run_snakemake(workdir, "-n", configfile=changed)
    assert result.returncode == 0, result.stderr
    output = result.stdout + result.stderr
    if "Job stats:" not in output:
        assert "Nothing to be done" in output, output
        return set()
    table = output.split("Job stats:")[1].split("total")[0]
    return {line.split()[0] for line in table.splitlines()[3:] if line.strip()}


@pytest.fixture(scope="module")
def jobs_planned_anyway(pipeline_run, tmp_path_factory) -> set[str]:
    """What ``snakemake -n`` plans with the unchanged config: nothing, unless package code that a
    rule hashes was edited after the pipeline ran (test_second_run_has_nothing_to_do checks that)."""
    return planned_jobs(pipeline_run, lambda config: None, tmp_path_factory.mktemp("unchanged"))


@pytest.mark.parametrize(
    "change, expected",
    [
        (lambda c: c["figures"]["ball_volume"].update(max_dim=9), {"ball_volume"}),
        (lambda c: c["figures"]["spiral_2d"].update(width_px=482), {"spiral_2d_animation"}),
        (lambda c: c["figures"]["spiral_2d"].update(frames=7), {"decode_spiral_2d", "spiral_2d_animation"}),
        (lambda c: c["figures"]["interpolation_norms"].update(curve_steps=21), {"interpolation_norms"}),
        (lambda c: c["animation"].update(fps=12), {"spiral_2d_animation", "sphere_spiral_animation"}),
    ],
)
def test_a_figure_setting_reruns_that_figure_and_the_site_only(
    pipeline_run, jobs_planned_anyway, tmp_path, change, expected
):
    assert planned_jobs(pipeline_run, change, tmp_path) == jobs_planned_anyway | expected | {"site", "all"}
