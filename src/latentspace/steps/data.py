"""Build the dataset .npz (images, labels, fixed split) from the configured source."""

from __future__ import annotations

import json
import sys


def add_arguments(parser) -> None:
    parser.add_argument("--source", required=True, help="mnist-5k, mnist, fashion-mnist or idx")
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--test-fraction", type=float, required=True)
    parser.add_argument("--cache-dir", required=True, help="download cache of the mnist and fashion-mnist sources")
    parser.add_argument("--idx-dir", default=None, help="folder of IDX files (idx source)")
    parser.add_argument("--mirror", action="append", default=[], help="download mirror (repeatable)")
    parser.add_argument("--output", required=True)


def run(args) -> None:
    from latentspace.datasets import build_dataset, save_dataset

    dataset = build_dataset(
        args.source,
        seed=args.seed,
        test_fraction=args.test_fraction,
        cache_dir=args.cache_dir,
        idx_dir=args.idx_dir,
        mirrors=args.mirror,
    )
    save_dataset(dataset, args.output)
    print(json.dumps(dataset.summary()), file=sys.stderr)
