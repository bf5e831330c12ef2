from graphs import extract
from graphs.build import add_extractions, new_graph, node_label
from graphs.extract import SpacyExtractor, _ner_stands_alone, load_spacy
from graphs.extraction import NOUN
from graphs.settings import GraphSettings
from tools.types import Chunk

TEXT = "Marie Curie was born in Warsaw. Marie Curie discovered polonium in Paris. Curie won the Nobel Prize."


def _chunk(cid: str, text: str, title: str = "") -> Chunk:
    return Chunk(cid, cid.split("#")[0], title, text, "", 0, len(text), "")


def test_spacy_entities_noun_chunks_and_triples():
    ex = SpacyExtractor().extract([_chunk("curie#0", TEXT)])[0]
    keys = {m.key for m in ex.mentions}
    assert {"marie curie", "warsaw", "paris"} <= keys
    assert "polonium" in keys  # a noun chunk
    triples = {(t.subject, t.relation, t.object) for t in ex.triples}
    assert ("marie curie", "bear in", "warsaw") in triples
    assert any(t.relation.startswith("discover") and t.object == "polonium" for t in ex.triples)


def test_graph_keeps_provenance_and_types():
    settings = GraphSettings()
    chunks = [_chunk("curie#0", TEXT, "Marie Curie"),
              _chunk("paris#0", "Paris is the capital of France.", "Paris")]
    graph = new_graph()
    extractions = SpacyExtractor(settings).extract(chunks)
    add_extractions(graph, extractions, {c.chunk_id: c for c in chunks}, settings)
    assert set(graph.nodes["paris"]["chunks"]) == {"curie#0", "paris#0"}
    assert node_label(graph.nodes["warsaw"]) == "GPE"
    # "Curie" alone is the same person as "Marie Curie" within the chunk
    assert "curie" not in graph
    edge = graph.edges["marie curie", "warsaw", "bear in"]
    assert edge["kind"] == "relation" and edge["chunks"] == {"curie#0": 1}
    assert graph.has_edge("marie curie", "warsaw", "cooccur")
    assert graph.has_edge("paris", "france", "topic")  # title node -> entity in its chunk


def test_query_mentions():
    mentions = SpacyExtractor().mentions("Where was Marie Curie born?")
    assert "marie curie" in {m.key for m in mentions}


QUERIES = ["Where was Marie Curie born?", "Which town raised the man who made Jaws?",
           "Who founded Amblin Entertainment with Steven Spielberg in 1981?",
           "On which river lies the birthplace of the designer of the Verrin lighthouse?",
           "Did Universal Pictures or Warner Bros. release Jaws in June 1975?",
           "What did the Nobel Committee say about Curie and Pierre in Stockholm?"]


def test_query_entities_from_the_recognizer_alone_are_the_full_pipelines():
    """Query linking needs named entities only: the NER-only pipeline (its own tok2vec) finds
    exactly the full pipeline's, without loading the tagger and parser."""
    extractor = SpacyExtractor()
    assert _ner_stands_alone(extractor.settings.spacy_model)
    assert load_spacy(extractor.settings.spacy_model, ner_only=True).pipe_names == ["ner"]
    found = 0
    for q in QUERIES:
        full = [(m.key, m.text, m.label) for m in extractor.mentions(q) if m.label != NOUN]
        alone = [(m.key, m.text, m.label) for m in extractor.mentions(q, nouns=False)]
        assert alone == full, q
        found += len(alone)
    assert found >= 8


def test_a_pipeline_whose_recognizer_listens_loads_whole(tmp_path, monkeypatch):
    pkg = tmp_path / "fake_trf_pipeline"
    (pkg / "fake_trf_pipeline-1.0").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "fake_trf_pipeline-1.0" / "config.cfg").write_text(
        "[components.ner.model.tok2vec]\n@architectures = \"spacy-transformers.TransformerListener.v1\"\n"
        "[components.ner.model.tok2vec.pooling]\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert not _ner_stands_alone("fake_trf_pipeline")
    assert not _ner_stands_alone("no_such_pipeline")


def test_batch_size_does_not_change_extractions():
    chunks = [_chunk(f"q{i}#0", q + " " + TEXT) for i, q in enumerate(QUERIES)]
    small = SpacyExtractor(GraphSettings(workers=1, batch_size=2)).extract(chunks)
    assert small == SpacyExtractor(GraphSettings(workers=1)).extract(chunks)


def test_worker_processes_extract_the_same_as_one_process(monkeypatch):
    texts = [TEXT, "Paris is the capital of France.", "Oska Tamm designed the Verrin lighthouse in 1869.",
             "The Sarn river flows through Lowbridge.",
             "Steven Spielberg directed Jaws for Universal Pictures.",
             "Kathleen Kennedy founded Amblin Entertainment with Spielberg."]
    chunks = [_chunk(f"d{i}#0", t) for i, t in enumerate(texts)]
    one = SpacyExtractor(GraphSettings(workers=1, batch_size=1)).extract(chunks)
    monkeypatch.setattr(extract, "MIN_CHUNKS_PER_WORKER", 1)  # six chunks: workers all the same
    done: list[int] = []
    two = SpacyExtractor(GraphSettings(workers=2, batch_size=1)).extract(chunks, progress=done.append)
    assert [e.chunk_id for e in two] == [c.chunk_id for c in chunks]  # order kept across processes
    assert two == one and sum(done) == len(chunks)
    assert any(e.triples for e in two)


def test_a_small_corpus_is_extracted_in_this_process(monkeypatch):
    """Starting workers costs more than it saves below MIN_CHUNKS_PER_WORKER chunks each."""
    def no_workers(*_):
        raise AssertionError("worker processes were started")

    monkeypatch.setattr(extract.mp, "get_context", no_workers)
    chunks = [_chunk(f"d{i}#0", TEXT) for i in range(16)]  # 16 batches of one: workers before
    got = SpacyExtractor(GraphSettings(workers=2, batch_size=1)).extract(chunks)
    assert len(got) == len(chunks) and got[0].mentions
