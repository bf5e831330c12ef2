"""Shared fixtures: a small crafted corpus indexed once per session with the knowledge graph."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

# The bridge document ("Steven Spielberg") shares no word with the question below, so BM25
# cannot reach it; the graph reaches it through the entity "Steven Spielberg".
BRIDGE_QUESTION = "Which town raised the man who made Jaws?"
CORPUS = {
    "jaws": ("Jaws", ("Jaws is a 1975 thriller film. Jaws was directed by Steven Spielberg and produced by "
                     "Universal Pictures. The film made a fortune at the box office.")),
    "spielberg": ("Steven Spielberg", ("Steven Spielberg spent his childhood in Cincinnati. Spielberg later "
                                      "founded Amblin Entertainment with Kathleen Kennedy.")),
    "cincinnati": ("Cincinnati", "Cincinnati is a city in Ohio on the Ohio River."),
    "mill": ("Corvane Mill", "Harrowgate raised a paper mill in 1901. Edmund Hale made the mill famous."),
    "fair": ("Harrowgate Fair", "Margaret Oller raised funds and made a fair in Harrowgate."),
    "boats": ("Oller Boatworks", "Oller Boatworks made fishing boats in Harrowgate until 1950."),
}


def make_docs(ids=None):
    from tools.ingest import make_document

    ids = ids or list(CORPUS)
    return [make_document(i, CORPUS[i][0], CORPUS[i][1], f"mem://{i}") for i in ids]


@pytest.fixture(scope="session")
def graph_index(tmp_path_factory):
    """An index of CORPUS with dense, BM25 and the graph (real spaCy and embedder)."""
    from graphs.component import GraphComponent
    from tools.index import Index, build_index

    path = tmp_path_factory.mktemp("graph") / "idx"
    build_index([], path, documents=make_docs(), components=[GraphComponent()])
    return Index(path)
