"""Milvus connections, collection naming, BM25 analysis and the `milvus.json` record.

One code path serves every deployment: a URI that is a file path (ending in `.db`) runs
Milvus Lite in this process, `http(s)://host:19530` talks to a Milvus standalone server
or cluster. One `MilvusClient` is kept per URI per process.

`milvus.json` (written into each index generation) records where the collection lives::

    {"format": "hopper-milvus", "version": 1, "uri": "<the --milvus-uri setting, credentials
     removed; '' = DIR/milvus.db>", "collection": "hopper_<folder>_<hash>", "dim": 384,
     "dense_index": "FLAT" | "HNSW", "analyzer": "hopper-bm25s", "rows": N}

The token is never written anywhere.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import re
import threading
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import Stemmer

from tools.errors import BackendError, ConfigError
from tools.jsonfile import read_versioned, write_versioned
from tools.settings import BM25Settings

log = logging.getLogger(__name__)

CONNECT_TIMEOUT = 5.0
"""Seconds to wait for a Milvus server before giving up."""
META_FILE = "milvus.json"
META_FORMAT = "hopper-milvus"
META_VERSION = 1
DEFAULT_LITE_FILE = "milvus.db"
SCHEMES = ("http", "https", "tcp", "unix")
LITE_GRPC_OPTIONS = {"grpc.keepalive_time_ms": 3_600_000, "grpc.keepalive_permit_without_calls": False}

_LOCK = threading.Lock()
_CLIENTS: dict[str, Any] = {}
_LOADED: set[tuple[str, str]] = set()


def is_lite(uri: str) -> bool:
    """True when `uri` names a Milvus Lite file rather than a server."""
    return urlsplit(uri).scheme.lower() not in SCHEMES


def resolve_uri(uri: str, index_dir: Path) -> str:
    """The URI to connect to: '' means the Milvus Lite file `index_dir/milvus.db`.

    Raises:
        ConfigError: a file path that does not end in `.db` (what Milvus Lite requires).
    """
    if not uri:
        return str((Path(index_dir) / DEFAULT_LITE_FILE).resolve())
    if not is_lite(uri):
        return uri
    path = Path(uri).expanduser().resolve()
    if path.suffix != ".db":
        raise ConfigError(f"Milvus Lite file {uri!r} must end in .db "
                          f"(e.g. --milvus-uri {path.with_suffix('.db')}); "
                          "or give a server as http://host:19530")
    return str(path)


def recorded_uri(setting: str, resolved: str) -> str:
    """What `milvus.json` keeps: '' for the default file, an absolute Lite path, a server URI without
    credentials (a relative Lite path would mean something else from another working folder)."""
    if not setting:
        return ""
    return resolved if is_lite(resolved) else redact(resolved)


def redact(uri: str) -> str:
    """`uri` without `user:password@` (safe to log and to record)."""
    if is_lite(uri):
        return uri
    parts = urlsplit(uri)
    if "@" not in parts.netloc:
        return uri
    return urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))


def _fix_hint(uri: str) -> str:
    if is_lite(uri):
        return "check that the folder exists and is writable, or pass another --milvus-uri FILE.db"
    return ("start the server (e.g. `milvus-lite server --data-dir DIR --port 19530`, or Milvus standalone), "
            "or fix --milvus-uri / index.backend.milvus_uri")


def _lite_locked(path: str) -> bool:
    """True when another process holds Milvus Lite's lock on the data folder `path`."""
    lock = Path(path) / "LOCK"
    if not lock.exists():
        return False
    with lock.open("a") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(fh, fcntl.LOCK_UN)
    return False


def connect(uri: str, token: str = ""):
    """The process-wide `MilvusClient` for a resolved `uri` (see `resolve_uri`).

    Raises:
        BackendError: pymilvus/milvus-lite missing, the server unreachable, or the Lite
            file open in another process; the message names the URI and the fix.
    """
    with _LOCK:
        if uri in _CLIENTS:
            return _CLIENTS[uri]
        try:
            from pymilvus import MilvusClient  # heavy: pymilvus, loaded when first needed
        except ImportError as exc:
            raise BackendError("the Milvus backend needs pymilvus: "
                               "pip install 'pymilvus[milvus-lite]'") from exc
        if is_lite(uri):
            try:
                import milvus_lite  # noqa: F401
            except ImportError as exc:
                raise BackendError(f"--milvus-uri {uri} is a file, which needs Milvus Lite: "
                                   "pip install milvus-lite (or give a server as http://host:19530)") from exc
            Path(uri).parent.mkdir(parents=True, exist_ok=True)
            if _lite_locked(uri):
                raise BackendError(
                    f"Milvus Lite file {uri} is open in another process (a running `hopper` or TUI?); "
                    "close it, "
                    f"or serve the file with `milvus-lite server --data-dir {uri} --port 19530` and use "
                    "--milvus-uri http://127.0.0.1:19530 from every process")
        # Milvus Lite serves in this very process: keepalive pings only earn a "too_many_pings"
        # GOAWAY from its gRPC server after an idle spell (e.g. a TUI waiting for the next question).
        extra = {"grpc_options": LITE_GRPC_OPTIONS} if is_lite(uri) else {}
        try:
            client = MilvusClient(uri=uri, token=token, timeout=CONNECT_TIMEOUT, **extra)
        except Exception as exc:  # pymilvus raises MilvusException / ConnectionConfigException / grpc errors
            raise BackendError(f"cannot reach Milvus at {redact(uri)} ({_reason(exc)}); "
                               f"{_fix_hint(uri)}") from exc
        _CLIENTS[uri] = client
        log.debug("connected to Milvus at %s", redact(uri))
        return client


def release(uri: str | None = None) -> None:
    """Close the client for `uri` (all when None) and stop its in-process Milvus Lite.

    A process that is done with a Milvus Lite file (an index build inside a long-lived
    TUI, a test) calls this so other processes can open the file.
    """
    with _LOCK:
        uris = [uri] if uri is not None else list(_CLIENTS)
        for u in uris:
            _LOADED.difference_update({key for key in _LOADED if key[0] == u})
            client = _CLIENTS.pop(u, None)
            if client is not None:
                try:
                    client.close()
                except Exception:  # closing a dead channel is not worth reporting
                    log.debug("closing Milvus client for %s failed", redact(u), exc_info=True)
            if is_lite(u):
                try:
                    from milvus_lite.server_manager import server_manager_instance  # heavy: milvus-lite
                except ImportError:
                    continue
                server_manager_instance.release_server(u)


def ensure_loaded(client, uri: str, name: str) -> None:
    """Load collection `name` once per process (a reopened Milvus Lite file starts released)."""
    if (uri, name) in _LOADED:
        return
    try:
        exists = client.has_collection(name)
        if exists:
            client.load_collection(name)
    except Exception as exc:
        raise backend_error(uri, f"load collection {name}", exc) from exc
    if not exists:
        raise BackendError(f"Milvus at {redact(uri)} has no collection {name}; re-index with "
                           "`hopper index ... --backend milvus --rebuild` (or fix --milvus-uri)")
    _LOADED.add((uri, name))


def _reason(exc: BaseException) -> str:
    message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    return " ".join(str(message).split())[:300]


def backend_error(uri: str, what: str, exc: BaseException) -> BackendError:
    """A `BackendError` for a failed Milvus call (`what`: 'search', 'upsert', ...)."""
    return BackendError(f"Milvus at {redact(uri)} failed to {what} ({_reason(exc)}); {_fix_hint(uri)}")


def collection_name(index_dir: Path) -> str:
    """A collection name for an index folder: readable, valid in Milvus, unique per folder."""
    path = Path(index_dir).resolve()
    slug = re.sub(r"[^0-9A-Za-z_]+", "_", path.name).strip("_").lower()[:40] or "index"
    return f"hopper_{slug}_{hashlib.sha1(str(path).encode()).hexdigest()[:8]}"


def generation_collection(base: str, gen_dir: Path) -> str:
    """The collection of one generation: `<base>_g<N>` for the folder `gen-00000N` (or the
    `.tmp-gen-00000N-PID` it is built in), so a rebuild never writes into the served one."""
    match = re.search(r"gen-(\d+)", Path(gen_dir).name)
    return f"{base}_g{int(match.group(1))}" if match else base


def filter_in(field: str, values: list[str]) -> str:
    """A Milvus boolean expression `field in ["a", "b"]` with the strings escaped."""
    return f"{field} in [" + ", ".join(json.dumps(v, ensure_ascii=False) for v in values) + "]"


class Analyzer:
    """The local BM25 analysis (bm25s tokens, English stopwords, Snowball stemming).

    Milvus Lite's analyzer has no stemmer, so Hopper analyses text itself and stores the
    space-joined terms in an analyzed field; Milvus's BM25 function then only splits on
    spaces. Every deployment and the local backend thus index the very same terms.
    """

    name = "hopper-bm25s"

    def __init__(self, settings: BM25Settings):
        self.settings = settings
        self._stemmer = None
        if settings.stemmer:
            self._stemmer = Stemmer.Stemmer(settings.stemmer)

    def __call__(self, texts: list[str]) -> list[str]:
        import bm25s  # heavy: bm25s (scipy), loaded when first needed

        if not texts:
            return []
        tokens = bm25s.tokenize(texts, stopwords=self.settings.stopwords or None, stemmer=self._stemmer,
                                show_progress=False, return_ids=False)
        return [" ".join(t) for t in tokens]


def read_meta(gen_dir: Path | None) -> dict[str, Any] | None:
    """The `milvus.json` of a generation, or None when it has none."""
    if gen_dir is None:
        return None
    path = Path(gen_dir) / META_FILE
    if not path.exists():
        return None
    return read_versioned(path, META_FORMAT, META_VERSION, "Milvus record")


def write_meta(gen_dir: Path, **fields: Any) -> dict[str, Any]:
    """Write `milvus.json` into a generation folder."""
    return write_versioned(Path(gen_dir) / META_FILE, META_FORMAT, META_VERSION, fields)
