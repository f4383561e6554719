"""Milliseconds to decode one digit with the z = 500 decoder in Chromium, as the page's explorer does.

    python benchmarks/explorer_decode_ms.py [--model results/models/z500/model.pt] [--decodes 200]

Exports the decoder as the pipeline does (``latentspace explorer``, float16 weights by
default) into a scratch folder with ``site_templates/static/explorer.js``, opens it in the
Chromium of the browser tests (tests/test_browser.py: /usr/bin/chromium through Playwright)
and times ``Decoder.decode`` on ``--decodes`` different prior draws, one performance.now()
pair per decode, after a warm-up. Prints the median and the 90th percentile, and exits 1
when the median misses the target of 2 ms. Without --model a freshly initialised model of the
default widths (512, 256) is used: the time depends on the sizes, not on the weights.
Chromium coarsens performance.now() (to 0.1 ms outside cross-origin-isolated pages), which
the median of many decodes averages out well enough for a 2 ms target.
"""

from __future__ import annotations

import argparse
import math
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch

from latentspace.model.model_files import load_model
from latentspace.page.explorer_bundles import interpolation_bundle, write_bundle
from latentspace.model.vae import VAEConfig
from latentspace.model.latent_paths import interpolation_endpoints
from latentspace.training.loop import build_model

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT / "tests"))  # the browser tests' Chromium settings
from test_browser import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

TARGET_MEDIAN_MS = 2.0
LATENT_DIM = 500
WARM_UP_DECODES = 50

TIMING_SCRIPT = """async ([bundleUrl, latents]) => {
  const bundle = await latentspaceExplorer.loadBundle(bundleUrl);
  const decoder = new latentspaceExplorer.Decoder(bundle);
  for (let k = 0; k < %d; k++) decoder.decode(latents[k %% latents.length]);
  const times = [];
  for (const latent of latents) {
    const start = performance.now();
    decoder.decode(latent);
    times.push(performance.now() - start);
  }
  return times;
}""" % WARM_UP_DECODES


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None, help="a trained z = 500 model (default: untrained, widths 512, 256)")
    parser.add_argument("--decodes", type=int, default=200)
    parser.add_argument("--weight-dtype", default="float16")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    if args.model:
        model = load_model(args.model, "cpu")
    else:
        model = build_model(VAEConfig(LATENT_DIM, (512, 256)), 0, torch.device("cpu"))
    latent_dim = model.config.latent_dim
    latents = np.random.default_rng(0).standard_normal((args.decodes, latent_dim))      # (N, D)
    with tempfile.TemporaryDirectory(prefix="explorer-benchmark-") as folder:
        folder = Path(folder)
        bundle = interpolation_bundle(model, args.weight_dtype, interpolation_endpoints(latent_dim, 0), 0, "#000", "#000")
        write_bundle(bundle, folder / "bundle.js")
        shutil.copy(REPO_ROOT / "site_templates" / "static" / "explorer.js", folder / "explorer.js")
        (folder / "index.html").write_text('<!DOCTYPE html><meta charset="utf-8"><script src="explorer.js"></script>\n')
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            page = browser.new_page()
            page.goto((folder / "index.html").as_uri())
            version = browser.version
            times_ms = page.evaluate(TIMING_SCRIPT, ["bundle.js", latents.tolist()])
            browser.close()
    median = statistics.median(times_ms)
    p90 = sorted(times_ms)[math.ceil(0.9 * len(times_ms)) - 1]
    arrays = bundle.manifest["arrays"]
    widths = " -> ".join([str(latent_dim)] + [str(arrays[layer["weight"]]["shape"][0]) for layer in bundle.manifest["layers"]])
    print(f"Chromium {version}, z = {latent_dim} decoder ({args.weight_dtype} weights; layers {widths}), "
          f"{len(times_ms)} decodes after {WARM_UP_DECODES} warm-up")
    print(f"median {median:.3f} ms, 90th percentile {p90:.3f} ms, mean {statistics.fmean(times_ms):.3f} ms "
          f"(target: median under {TARGET_MEDIAN_MS} ms)")
    if median >= TARGET_MEDIAN_MS:
        raise SystemExit(f"too slow: median {median:.3f} ms >= {TARGET_MEDIAN_MS} ms")


if __name__ == "__main__":
    main()
