"""The pose-sequence store (lifting track): whole 2D/3D pose sequences per split.

The format and the reader are in :mod:`vidpose.sequences.sequence_store`, the writer in
:mod:`vidpose.sequences.write`; the names below are the whole public interface.
"""

from vidpose.sequences.sequence_store import (
    FORMAT_NAME,
    FORMAT_VERSION,
    SEQUENCE_COLUMNS,
    SequenceInfo,
    SequenceStore,
    open_sequences,
)
from vidpose.sequences.write import add_2d_source, write_sequences

__all__ = [
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "SEQUENCE_COLUMNS",
    "SequenceInfo",
    "SequenceStore",
    "add_2d_source",
    "open_sequences",
    "write_sequences",
]
