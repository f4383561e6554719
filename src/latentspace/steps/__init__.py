"""The pipeline's steps: one module per step, each run as ``python -m latentspace STEP``.

Every module here is a step, named after it (``latent_grid.py`` is ``latent-grid``): the
command line lists this folder, and no table names them. A step module declares

- ``Settings``: a group of settings (:mod:`latentspace.settings.declared`) that derives
  from the groups of config.yaml it reads, plus any setting only its rule knows;
- ``Files``: the paths its rule hands it, each declared with
  :func:`latentspace.settings.command_line.file_path`;
- ``run(settings, files)``, which imports what it computes with when it is called;

or, for a step with sub-commands (``decode spiral_2d``), ``SUBCOMMANDS``. The command line,
the rule's options, the job record and the code hash derive from these. The rule that
runs a step carries its name: ``latent_grid`` runs ``latent-grid``, the rules ``decode_*``
run ``decode``.
"""
