"""Indexes for evaluation corpora, cached by corpus content hash and index settings."""

from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path

from tools.index import build_index
from tools.progress import NullProgress, Progress
from tools.settings import IndexSettings
from tools.store import read_manifest

log = logging.getLogger(__name__)


def cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "hopper" / "eval-indexes"


def corpus_key(paths: list[Path], settings: IndexSettings, components: list[str]) -> str:
    h = hashlib.sha256()
    for path in paths:
        files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
        for f in files:
            h.update(str(f.relative_to(path) if path.is_dir() else f.name).encode())
            with f.open("rb") as fh:
                for block in iter(lambda: fh.read(1 << 20), b""):
                    h.update(block)
    h.update(json.dumps(settings.fingerprint(), sort_keys=True).encode())
    h.update(json.dumps(sorted(components)).encode())
    return h.hexdigest()[:20]


def cached_index(paths: list[Path], fmt: str, settings: IndexSettings, components: list | None = None,
                 progress: Progress | None = None, root: Path | None = None) -> tuple[Path, float]:
    """Return (index folder, seconds spent indexing: 0.0 when reused)."""
    components = components or []
    key = corpus_key(paths, settings, [c.name for c in components])
    index_dir = (root or cache_root()) / key
    manifest = read_manifest(index_dir) if index_dir.exists() else None
    if manifest is not None and (index_dir / manifest.path).is_dir():
        log.info("reusing cached index %s", index_dir)
        return index_dir, 0.0
    result = build_index(paths, index_dir, settings, fmt=fmt, rebuild=True, components=components,
                         progress=progress or NullProgress())
    return index_dir, result.seconds
