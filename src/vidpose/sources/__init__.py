"""Data sources → the stores vidpose reads: clip stores (``npy``, ``h36m``), sequence stores
for lifting (``videopose3d``, ``videopose3d_add2d``) and ``--motion`` files (``mocap``).

Each converter is a function with plain arguments (no argparse) that checks every input,
writes its output atomically (refusing an existing one unless ``overwrite``, and never one of
its inputs) and returns a summary dataclass with ``warnings`` and ``notes`` for the user:
:func:`.npy.convert`, :func:`.h36m.convert`, :func:`.videopose3d.convert`,
:func:`.videopose3d_add2d.add_2d`, :func:`.mocap.convert`. The ``vidpose prepare`` subcommands
(``cli/prepare_*.py``) parse the command line, call them and print.
"""
