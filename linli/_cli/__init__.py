"""The ``linli`` subcommands beyond ``run`` and ``db``, one module per area.

- ``shared``: what every command module imports (``State``, ``pass_state``,
  ``LinliGroup``, the terminal's translator ``t``); it never imports ``linli.cli``.
- ``checks``, ``database``, ``output``: helpers of the commands (argument checks,
  reaching the database, printing tables).
- ``districts``, ``roles``, ``export``, ``doctor``, ``processes``: the commands.
  Each defines click commands and a ``register(main)`` function, which
  ``linli.cli._register`` calls; a new module is added to the list there.

Keep imports at the top of these modules light (click only): heavy modules are
imported inside the commands so ``linli --help`` stays fast.
"""
