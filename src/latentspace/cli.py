"""Command-line interface: ``python -m latentspace STEP [options]``, one step per module.

The steps and their modules are listed in ``latentspace.steps.STEPS``; this module only
builds the parser from that table and dispatches. Known failures print one line and exit 1.

Every step also takes the options of its job record (``--provenance RECORD.json`` and the
inputs and outputs that Snakemake gave the job); with them, a step that succeeds
writes the record described in :mod:`latentspace.provenance`.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

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
        for leaf in leaf_parsers(step_parser):
            add_record_arguments(leaf)
        step_parser.set_defaults(run=module.run)
    return parser


def leaf_parsers(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    """The parsers that read a command's last words: a step's own, or those of its sub-commands (decode spiral_2d)."""
    children = [
        child
        for action in parser._actions
        if isinstance(action, argparse._SubParsersAction)
        for child in dict.fromkeys(action.choices.values())
    ]
    return [leaf for child in children for leaf in leaf_parsers(child)] if children else [parser]


def add_record_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of the job record, the same for every step (the rules pass PROVENANCE, common.smk)."""
    group = parser.add_argument_group("job record (written when the step succeeds)")
    group.add_argument("--provenance", metavar="RECORD_JSON", help="write the job's record here")
    group.add_argument("--provenance-inputs", nargs="*", default=[], metavar="FILE", help="the job's input files")
    group.add_argument("--provenance-outputs", nargs="*", default=[], metavar="FILE", help="the job's output files")


def used_devices() -> list[str]:
    """The torch devices the step resolved, if it imported torch at all (read without importing it)."""
    devices = sys.modules.get("latentspace.devices")
    return devices.used_device_names() if devices else []


def main(argv: list[str] | None = None) -> int:
    """Run one step; the exit status: 0 done, 1 a known failure (one line), 2 a usage error."""
    from latentspace.provenance import job_record, utc_now, write_record

    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exit_request:  # --help, or a usage error already printed in one line
        return exit_request.code
    started = utc_now()
    try:
        args.run(args)
        if args.provenance:
            options = vars(args)
            record = job_record(args.command, argv, options, used_devices(), started, utc_now(), Path.cwd())
            write_record(args.provenance, record)
    except LatentspaceError as error:
        print(f"latentspace {args.command}: error: {error}", file=sys.stderr)
        return 1
    return 0
