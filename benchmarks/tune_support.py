"""Tune the claim-level support check's thresholds on the demo's TRAIN open questions.

    PYTHONPATH=. .venv/bin/python benchmarks/tune_support.py

For each train question, the synthesis's evidence step (no LM) gives lines, each quoted from
one document's passage. Supported pairs: every line (quoted, and clause-trimmed) against its own
passage. Unsupported pairs: every line against the passages of the other documents retrieved
for the same question, and every line with one number or one name swapped for a number or name
taken from another retrieved passage (the errors a rewriting LM makes). For a grid of thresholds
it prints the share of supported pairs accepted and of unsupported pairs rejected, and writes
`benchmarks/results/support_tuning.json`. The chosen values are the module constants of
`agent/synthesis/support.py` (see docs/synthesis.md).
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
DEMO = REPO / "examples" / "demo"
RESULTS = REPO / "benchmarks" / "results" / "support_tuning.json"
GRID = {
    "min_overlap": (0.4, 0.5, 0.6, 0.7, 0.8),
    "min_overlap_with_sim": (0.2, 0.3, 0.4, 0.5),
    "min_similarity": (0.5, 0.6, 0.7, 0.8),
}


# Supported paraphrases (what an LM's overview or rewrite says in other words), written by hand from the
# train questions' documents: the extractive pairs alone would push every threshold to the top.
PARAPHRASES = [
    ("Dace Quillon and Renna Vos were both born in Highbridge.", ["places/highbridge.html"]),
    ("Renna Vos, a clockmaker's daughter, was born in Highbridge.", ["people/renna_vos.html"]),
    (
        "The Great Flood of 1894 was a devastating flood that killed eleven people.",
        ["events/great_flood_1894.md"],
    ),
    (
        "The flood of 1894 led to new embankments along the Sarn and a telegraph flood-warning system.",
        ["events/great_flood_1894.md"],
    ),
    (
        "Jonas Vellam and Edvard Lusk both died in Caskwell.",
        ["people/jonas_vellam.md", "people/edvard_lusk.md"],
    ),
    (
        "Anhalt & Sons launched the paddle steamer Sarn Heron in 1897 and the ferry Holm Star in 1902.",
        ["organisations/anhalt_and_sons.md"],
    ),
    (
        "The Sarn Heron was a paddle steamer on the Sarn, while the Grey Petrel was a smaller steamer "
        "on the Oller.",
        ["things/sarn_heron.html", "things/grey_petrel.md"],
    ),
    (
        (
            "Meddow College, founded by Agnes Pryor in 1888, trained schoolteachers and is separate "
            "from the older "
            "University of Caskwell."
        ),
        ["organisations/meddow_college.html"],
    ),
    (
        "The Lusk tide clock, invented by Edvard Lusk in 1888, shows the state of the tide rather than "
        "the time.",
        ["things/lusk_tide_clock.md"],
    ),
    (
        "Mara Quillon was a harbour master and Dace Quillon a poet, and the two were not related.",
        ["people/mara_quillon.html", "people/dace_quillon.txt"],
    ),
    ("Bertil Anhalt, a fisherman's son, was born on Holm Isle.", ["people/bertil_anhalt.md"]),
    (
        "The Kestrel Bridge survived the great flood of 1894 when the other bridges were swept away.",
        ["events/great_flood_1894.md"],
    ),
]


def paraphrase_pairs(index, ranker):
    from agent.reading.evidence import passage_sentences
    from tools.types import Hit

    store = index.store
    out = []
    for claim, docs in PARAPHRASES:
        hits = [Hit.from_chunk(c, 0.0, "tune") for c in store.chunks if c.doc_id in docs]
        sents = [f"{h.title}. {s.text}" for h in hits for s in passage_sentences(h)]
        vecs = ranker.vectors([claim] + sents)
        similarity = float((vecs[1:] @ vecs[0]).max())
        out.append(
            (claim, " ".join(h.text for h in hits), ". ".join(h.title for h in hits), similarity, True)
        )
    return out


def pairs(index, questions):
    """(claim, passage, title, similarity, supported) pairs from the train questions."""
    from agent.reading.evidence import SentenceRanker, passage_sentences
    from agent.synthesis import classify_question
    from agent.synthesis.compose import trim
    from agent.synthesis.gather import gather, key_terms
    from agent.synthesis.support import names, numbers
    from agent.toolbox import ToolBox
    from agent.trace import Trace

    ranker = SentenceRanker(index.embedder)
    rng = random.Random(16)
    out = []

    def sim(claim, hit):
        sents = [f"{hit.title}. {s.text}" for s in passage_sentences(hit)]
        vecs = ranker.vectors([claim] + sents)
        return float((vecs[1:] @ vecs[0]).max())

    for q in questions:
        tools = ToolBox(index, Trace())
        decision = classify_question(q["question"])
        groups = gather(
            q["question"],
            decision,
            lambda tool, tools=tools, **a: tools.call(tool, None, "t", **a),
            ranker,
            has_graph=tools.has_graph,
        )
        hits = list(tools.evidence.hits.values())
        terms = key_terms(q["question"], decision)
        for g in groups:
            s = g.sentences[0]
            own = g.hits[s.chunk_id]
            others = [h for h in hits if h.doc_id != g.doc_id][:6]
            for claim in {s.text, trim(s.text, terms, g.title)}:
                out.append((claim, own.text, own.title, sim(claim, own), True))
                for h in others:
                    out.append((claim, h.text, h.title, sim(claim, h), False))
                pool = " ".join(h.text for h in others)
                nums = sorted(numbers(claim))
                other_nums = sorted(numbers(pool) - numbers(own.text))
                if nums and other_nums:
                    bad = re.sub(rf"\b{re.escape(nums[0])}\b", rng.choice(other_nums), claim, count=1)
                    out.append((bad, own.text, own.title, sim(bad, own), False))
                own_names = [n for n in re.findall(r"\b[A-Z][a-z]{3,}\b", claim) if n.lower() in names(claim)]
                other_names = sorted(
                    {
                        n
                        for n in re.findall(r"\b[A-Z][a-z]{3,}\b", pool)
                        if n.lower() in names(pool) and n not in own.text and n not in own.title
                    }
                )
                if own_names and other_names:
                    bad = claim.replace(own_names[-1], rng.choice(other_names), 1)
                    out.append((bad, own.text, own.title, sim(bad, own), False))
        print(f"{q['id']}: {len(groups)} lines, {len(out)} pairs so far", file=sys.stderr)
    return out + paraphrase_pairs(index, ranker)


def evaluate(rows, **th):
    from agent.synthesis.support import check_support

    pos = [r for r in rows if r[4]]
    neg = [r for r in rows if not r[4]] or [("", "", "", 0.0, False)]
    accepted = sum(check_support(c, p, s, t, **th).ok for c, p, t, s, _ in pos)
    rejected = sum(not check_support(c, p, s, t, **th).ok for c, p, t, s, _ in neg)
    return {
        "supported_accepted": round(accepted / len(pos), 4),
        "unsupported_rejected": round(rejected / len(neg), 4),
        "positives": len(pos),
        "negatives": len(neg),
    }


def main() -> int:
    from agent.config import load_config
    from agent.eval.datasets import load_dataset
    from agent.eval.indexcache import cached_index
    from agent.synthesis import support
    from tools.index import Index
    from tui.commands.index import components_for

    cfg = load_config({})
    data = load_dataset(DEMO / "open_questions.jsonl", "train")
    index_dir, _ = cached_index(data.corpus_paths, data.corpus_format, cfg.index, components_for(cfg))
    questions = [{"id": q.qid, "question": q.question} for q in data.questions]
    rows = pairs(Index(index_dir, cfg.index), questions)
    table = []
    for mo, mos, ms in itertools.product(*GRID.values()):
        if mos > mo:
            continue
        r = evaluate(rows, min_overlap=mo, min_overlap_with_sim=mos, min_similarity=ms)
        table.append({"min_overlap": mo, "min_overlap_with_sim": mos, "min_similarity": ms, **r})
    # Best first: supported pairs accepted and unsupported ones rejected, equally weighted (the paraphrases
    # are few, so each weighs as much as the extractive positives together).
    for r in table:
        r["paraphrases_accepted"] = evaluate(
            [x for x in rows[-len(PARAPHRASES) :]], **{k: r[k] for k in GRID}
        )["supported_accepted"]
    table.sort(
        key=lambda r: (
            -(r["supported_accepted"] + r["paraphrases_accepted"] + 2 * r["unsupported_rejected"]),
            -r["unsupported_rejected"],
        )
    )
    chosen = evaluate(rows)
    print(
        f"{'overlap':>8} {'ov+sim':>7} {'sim':>5} {'supported ok':>13} {'paraphrases ok':>15} "
        f"{'unsupported rejected':>21}"
    )
    for r in table[:12]:
        print(
            f"{r['min_overlap']:>8} {r['min_overlap_with_sim']:>7} {r['min_similarity']:>5} "
            f"{r['supported_accepted']:>13} {r['paraphrases_accepted']:>15} {r['unsupported_rejected']:>21}"
        )
    chosen["paraphrases_accepted"] = evaluate(rows[-len(PARAPHRASES) :])["supported_accepted"]
    print(
        f"chosen (module constants "
        f"{support.MIN_OVERLAP}/{support.MIN_OVERLAP_WITH_SIM}/{support.MIN_SIMILARITY}): "
        f"{chosen}"
    )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "chosen": {
                    "min_overlap": support.MIN_OVERLAP,
                    "min_overlap_with_sim": support.MIN_OVERLAP_WITH_SIM,
                    "min_similarity": support.MIN_SIMILARITY,
                    **chosen,
                },
                "grid": table,
            },
            indent=2,
        )
    )
    print(f"wrote {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
