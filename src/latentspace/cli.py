"""Command-line interface: ``python -m latentspace STEP [options]``, one step per module.

The steps and their modules are listed in ``latentspace.steps.STEPS``; this module only
builds the parser from that table and dispatches. Known failures print one line and exit 1.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from latentspace.errors import LatentspaceError
from latentspace.steps import STEPS


class StepParser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line, like every other error of a step."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message}\n")


def step_module(step: str):
    """The module of a step: ``latent-grid`` -> latentspace.steps.latent_grid."""
    return importlib.import_module(f"latentspace.steps.{STEPS[step]}")


def build_parser() -> argparse.ArgumentParser:
    parser = StepParser(prog="latentspace", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True, metavar="STEP")
    for step in STEPS:
        module = step_module(step)
        summary = module.__doc__.strip().splitlines()[0]
        step_parser = commands.add_parser(step, help=summary, description=module.__doc__)
        module.add_arguments(step_parser)
        step_parser.set_defaults(run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one step; the exit status: 0 done, 1 a known failure (one line), 2 a usage error."""
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exit_request:  # --help, or a usage error already printed in one line
        return exit_request.code
    try:
        args.run(args)
    except LatentspaceError as error:
        print(f"latentspace {args.command}: error: {error}", file=sys.stderr)
        return 1
    return 0
