"""Storage backends of an index, behind one protocol (`tools.backends.base.Backend`).

- `local`: a FAISS index and a bm25s index in the generation folder (`tools.backends.local`).
- `milvus`: one Milvus collection holding both, Lite file or server (`tools.backends.milvus`).

pymilvus, faiss and bm25s load only when a backend first uses them (inside its functions).
"""

from __future__ import annotations

from tools.backends.base import BASIC, Backend, BuildContext, IndexComponent
from tools.backends.local import LocalBackend
from tools.backends.milvus import MilvusBackend
from tools.errors import ConfigError

KINDS = ("local", "milvus")

__all__ = ["BASIC", "KINDS", "Backend", "BuildContext", "IndexComponent", "select_backend"]


def select_backend(kind: str) -> Backend:
    """The backend named by `index.backend.kind`.

    Raises:
        ConfigError: `kind` is not one of `KINDS`.
    """
    if kind == "local":
        return LocalBackend()
    if kind == "milvus":
        return MilvusBackend()
    raise ConfigError(f"unknown index backend {kind!r}; choose one of: {', '.join(KINDS)}")
