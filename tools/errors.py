"""Hopper's exception hierarchy: every message says what went wrong and how to fix it."""

from __future__ import annotations


class HopperError(Exception):
    """Base class of every error Hopper reports to a user (one line, no traceback)."""


class ConfigError(HopperError):
    """A setting is missing, malformed or contradictory."""


class IndexNotFoundError(HopperError):
    """The index folder does not exist or holds no finished generation."""


class IndexCorruptError(HopperError):
    """An index file is unreadable; rebuild with `hopper index ... --rebuild`."""


class IngestError(HopperError):
    """A document could not be read; it is skipped with this reason."""


class DataFormatError(HopperError):
    """An evaluation or corpus file is malformed (the message names file and line)."""


class RetrieverUnavailableError(HopperError):
    """A retriever was asked for that this index does not have."""


class ModelError(HopperError):
    """A model (embedder, LM, spaCy) is missing, corrupt or unreachable."""


class BackendError(HopperError):
    """A storage backend (e.g. a Milvus server) failed or cannot be reached."""
