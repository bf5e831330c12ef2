"""Application wiring for indexes: which components a configuration builds, and the index a
dataset is evaluated on. Used by `hopper index`, `hopper eval`, `hopper optimize` and the
TUI's corpus screen alike, so it lives below the CLI layer."""

from __future__ import annotations

from pathlib import Path

from agent.config import HopperConfig
from agent.eval.indexcache import cached_index
from tools.backends.base import IndexComponent
from tools.progress import Progress


def components_for(cfg: HopperConfig) -> list[IndexComponent]:
    """Optional index components enabled by the configuration (today: the knowledge graph)."""
    if not cfg.index.graph:
        return []
    from graphs.component import GraphComponent  # heavy: networkx, only when the graph is built

    return [GraphComponent(cfg.graph)]


def dataset_index(cfg: HopperConfig, dataset, *, index_dir: str | Path | None = None, graph: bool = True,
                  progress: Progress | None = None) -> tuple[Path, float]:
    """The index to evaluate `dataset` on, and the seconds spent building it (0.0 when reused).

    Args:
        cfg: the configuration; `cfg.index.graph` is switched off when `graph` is False.
        dataset: an `agent.eval.datasets.Dataset` (its corpus paths and format).
        index_dir: an index the user named (`--index DIR`): used as it is, never built.
        graph: whether the run needs the knowledge graph.
        progress: where indexing progress goes.
    """
    if index_dir:
        return Path(index_dir), 0.0
    if not graph:
        cfg.index.graph = False
    return cached_index(dataset.corpus_paths, dataset.corpus_format, cfg.index, components_for(cfg),
                        progress=progress)
