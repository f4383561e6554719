"""Command-line interface: ``python -m latentspace STEP [options]``, one step per module.

The steps are the modules of :mod:`latentspace.steps`, found by listing the package (the
module ``latent_grid`` is the step ``latent-grid``); nothing keeps a table of them. A
step module declares ``Settings`` (or none), ``Files`` and ``run(settings, files)``, or,
for a step with sub-commands, ``SUBCOMMANDS``; this module derives the step's options
from those declarations (:mod:`latentspace.settings.command_line`) and dispatches. Known
failures print one line and exit 1.

Every step also takes the options of its job record (``--provenance RECORD.json`` and the
inputs and outputs that Snakemake gave the job); with them, a step that succeeds writes
the record described in :mod:`latentspace.pipeline.provenance`.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from pathlib import Path

from latentspace.errors import LatentspaceError


class StepParser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line, like every other error of a step."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message}\n")


def step_names() -> list[str]:
    """Every step, from the modules of latentspace.steps (read from the folder, nothing imported)."""
    import latentspace.steps

    return sorted(info.name.replace("_", "-") for info in pkgutil.iter_modules(latentspace.steps.__path__)
                  if not info.name.startswith("_"))


def step_module(step: str):
    """The module of a step: ``latent-grid`` -> latentspace.steps.latent_grid."""
    return importlib.import_module(f"latentspace.steps.{step.replace('-', '_')}")


def step_commands(module) -> dict[str | None, object]:
    """``{sub-command or None: what it declares}``: the step's sub-commands, or the step itself."""
    from latentspace.settings.command_line import SubCommand

    if hasattr(module, "SUBCOMMANDS"):
        return module.SUBCOMMANDS
    return {None: SubCommand(module.__doc__, getattr(module, "Settings", None), module.Files, module.run)}


def add_step(commands, step: str) -> None:
    from latentspace.settings.command_line import add_file_options, add_settings_options

    module = step_module(step)
    summary = module.__doc__.strip().splitlines()[0]
    step_parser = commands.add_parser(step, help=summary, description=module.__doc__,
                                      formatter_class=argparse.RawDescriptionHelpFormatter)
    declared = step_commands(module)
    if None in declared:
        leaves = {None: step_parser}
    else:
        kinds = step_parser.add_subparsers(dest="kind", required=True, metavar="KIND")
        leaves = {kind: kinds.add_parser(kind, help=sub.help, description=sub.help) for kind, sub in declared.items()}
    for kind, leaf in leaves.items():
        sub = declared[kind]
        if sub.settings is not None:
            add_settings_options(leaf, sub.settings)
        add_file_options(leaf, sub.files)
        add_record_arguments(leaf)
        leaf.set_defaults(command=sub)


def build_parser(steps: list[str] | None = None) -> argparse.ArgumentParser:
    """The parser of the named steps (all of them by default: ``--help`` lists every step)."""
    parser = StepParser(prog="latentspace", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="step", required=True, metavar="STEP")
    for step in steps if steps is not None else step_names():
        add_step(commands, step)
    return parser


def add_record_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of the job record, the same for every step (the rules pass them, common.smk)."""
    group = parser.add_argument_group("job record (written when the step succeeds)")
    group.add_argument("--provenance", metavar="RECORD_JSON", help="write the job's record here")
    group.add_argument("--provenance-inputs", nargs="*", default=[], metavar="FILE", help="the job's input files")
    group.add_argument("--provenance-outputs", nargs="*", default=[], metavar="FILE", help="the job's output files")


def used_devices() -> list[str]:
    """The torch devices the step resolved, if it imported torch at all (read without importing it)."""
    devices = sys.modules.get("latentspace.model.devices")
    return devices.used_device_names() if devices else []


def parse_step(argv: list[str]):
    """``(args, settings, files)`` of a step's command line, without running it.

    Only the named step's module is imported; a bare call or an unknown step builds the
    parser of every step, to list them. ``--help`` and usage errors raise SystemExit, as
    argparse does; a whole-value problem is a :class:`~latentspace.errors.LatentspaceError`.
    """
    from latentspace.settings.command_line import files_from, settings_from

    named = argv[:1] if argv and argv[0] in step_names() else None
    args = build_parser(named).parse_args(argv)
    return args, settings_from(args.command.settings, args), files_from(args.command.files, args)


def main(argv: list[str] | None = None) -> int:
    """Run one step; the exit status: 0 done, 1 a known failure (one line), 2 a usage error."""
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        args, settings, files = parse_step(argv)
    except SystemExit as exit_request:  # --help, or a usage error already printed in one line
        return exit_request.code
    except LatentspaceError as error:
        print(f"latentspace {argv[0]}: error: {error}", file=sys.stderr)
        return 2
    command = args.command
    from latentspace.pipeline.provenance import job_record, utc_now, write_record

    started = utc_now()
    try:
        command.run(settings, files)
        if args.provenance:
            record = job_record(args.step, argv, settings, args.provenance_inputs, args.provenance_outputs,
                                used_devices(), started, utc_now(), Path.cwd())
            write_record(args.provenance, record)
    except LatentspaceError as error:
        print(f"latentspace {args.step}: error: {error}", file=sys.stderr)
        return 1
    return 0


def step_options(step: str, *sections: dict, kind: str | None = None, **values) -> str:
    """The options a rule passes to ``step`` (``kind``: its sub-command): every one of its settings,
    valued from the config ``sections`` (merged in order) and then ``values``, checked, quoted.

    Keys of the sections that the step does not take are left out, so a rule can hand over a
    whole section: ``step_options("latent-grid", config["figures"]["latent_grid"], device=config["device"])``.
    """
    from latentspace.settings.command_line import options_text

    merged = {}
    for section_values in sections:
        merged.update(section_values)
    merged.update(values)
    settings = step_commands(step_module(step))[kind].settings
    if settings is None:
        raise LatentspaceError(f"step {step}: takes no settings")
    return options_text(settings, merged)
