"""How answers are read from evidence: the room to enter to change how Hopper reads.

- `question`   what a question asks for, parsed once (form, asking clause, head noun, type, options)
- `tree`       its query tree from the parse, and when a tree makes no sense
- `lexicon`    the word classes every module looks words up in
- `evidence`   the sentences of retrieved passages that bear on a (sub-)question, by embedding similarity
- `candidates` spans of those sentences that could answer (spaCy entities, noun chunks, numbers)
- `checks`     every check on a short answer: pure functions returning a Verdict with a code
- `reader`     one narrow LM question per call, checked by code, chosen among candidates when it fails
- `shapes`     an enumeration widened from one of its items, for questions asking for several
- `select`     the calibrated selector: one probability per answer, "not in your documents" below its floor
- `answer`     the final answer: citations to the sentences that state it, confidence, abstention
- `adapter`    the plain-text DSPy adapter the reader's calls use
- `passages`   whole numbered passages, for a capable LM's free-form answer
"""
