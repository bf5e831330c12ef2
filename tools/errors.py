"""Hopper's exception hierarchy: every message says what went wrong and how to fix it."""

from __future__ import annotations

import errno
import re


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


class InputError(HopperError):
    """A command-line argument or typed input is unusable (empty question, -k out of range)."""


class PathError(HopperError):
    """A file or folder the user named cannot be used (missing, unreadable, unwritable, a loop)."""


SHORT_WRITE = re.compile(r"\b\d+ requested and \d+ written\b")
"""How numpy reports a write the operating system cut short (it carries no errno)."""


def describe_os_error(exc: OSError, path: object = None, doing: str = "") -> str:
    """One line for an `OSError` on a user-given path: what failed, the path, and the fix.

    Args:
        exc: the error (its `filename` is used when `path` is not given).
        path: the path the user named, when it is more telling than `exc.filename`.
        doing: what Hopper was doing, e.g. "write the index" (optional).
    """
    where = path if path is not None else (exc.filename or "")
    code = exc.errno
    reason = exc.strerror or " ".join(str(exc).split()) or type(exc).__name__
    fixes = {
        errno.EACCES: "check its permissions (chmod/chown) or choose another path",
        errno.EPERM: "check its permissions (chmod/chown) or choose another path",
        errno.EROFS: "it is on a read-only file system: choose a writable path",
        errno.ELOOP: "it is a symbolic link loop: remove the link or name the real path",
        errno.EEXIST: "a file is in the way: remove it or name a folder",
        errno.ENOTDIR: "a file is in the way where a folder is needed: name a folder",
        errno.EISDIR: "it is a folder: name a file",
        errno.ENOENT: "no such file or folder: check the path",
        errno.ENOSPC: "the disk is full: free some space",
        errno.EDQUOT: "the disk quota is exhausted: free some space",
        errno.EFBIG: "a file size limit was reached (ulimit -f): raise it or write elsewhere",
        errno.EIO: "an input/output error: check the disk",
        errno.ENAMETOOLONG: "the name is too long: use a shorter path",
    }
    fix = fixes.get(code, "check the path") if code is not None else "check the path"
    if code is None and SHORT_WRITE.search(reason):  # numpy's tofile/save on a full disk or past ulimit -f
        fix = "a write stopped short: the disk is full or a file size limit (ulimit -f) was reached"
    what = f"cannot {doing} " if doing else ""
    place = f"{what}{where}: " if f"{what}{where}".strip() else ""
    return f"{place}{reason.lower() if reason[:1].isupper() else reason}; {fix}".strip()


def path_error(exc: OSError, path: object = None, doing: str = "") -> PathError:
    """`exc` as a one-line `PathError` (see `describe_os_error`)."""
    return PathError(describe_os_error(exc, path, doing))
