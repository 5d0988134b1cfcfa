"""Converters from a data source to clip stores.

Each module here that converts a source with ``vidpose prepare <name>`` exposes::

    PREPARE_NAME: str                      # the sub-command name, e.g. "npy"
    def register_prepare(subparsers)       # add its parser; set_defaults(run=...)
"""
