"""The ``linli`` subcommands beyond ``run`` and ``db``, one module per area.

Each module defines click commands and a ``register(main)`` function; ``linli.cli``
calls it. Keep imports at the top of these modules light (click only): heavy
modules are imported inside the commands so ``linli --help`` stays fast.
"""
