"""The one sentence splitter (`tools.sentences`): a table of real shapes of text."""

import pytest

from tools.sentences import MAX_CHARS, split, texts

CASES = [
    ("abbreviations",
     "Use a fast level, e.g. gzip -1, for logs. Smith et al. found it faster, i.e. twice as fast.",
     ["Use a fast level, e.g. gzip -1, for logs.", "Smith et al. found it faster, i.e. twice as fast."]),
    ("figures and versus",
     "Survival rose (see Fig. 2) with the drug vs. placebo. It fell later.",
     ["Survival rose (see Fig. 2) with the drug vs. placebo.", "It fell later."]),
    ("versions and decimals",
     "This page documents zstd v1.5.4 and curl 7.88.1. The rate was 3.5% (n = 28).",
     ["This page documents zstd v1.5.4 and curl 7.88.1.", "The rate was 3.5% (n = 28)."]),
    ("code and paths",
     "Call json.dumps() to encode. Logs go to ~/.local/state/MyApp/log on Linux.",
     ["Call json.dumps() to encode.", "Logs go to ~/.local/state/MyApp/log on Linux."]),
    ("a manual page's wrapped option",
     "     -b bits\n             Specifies the number of bits in the key to\n             create.  "
     "For RSA keys, the default is 3072 bits.",
     ["-b bits Specifies the number of bits in the key to create.",
      "For RSA keys, the default is 3072 bits."]),
    ("markdown list and heading",
     "## Features\n- fast parsing\n- small. Really small.\n1. first step\n",
     ["## Features", "- fast parsing", "- small.", "Really small.", "1. first step"]),
    ("table rows are lines",
     "| name | value |\n| level | 6 |\nAfter the table.",
     ["| name | value |", "| level | 6 |", "After the table."]),
    ("assignments are lines (a pydoc DATA section, a configuration file)",
     "DATA\n    DEBUG = 10\n    WARNING = 30\n    NAME = 'a wrapped\n    value'\nMAX_SIZE=512\n",
     ["DATA", "DEBUG = 10", "WARNING = 30", "NAME = 'a wrapped value'", "MAX_SIZE=512"]),
    ("paragraphs",
     "First paragraph without a stop\n\nSecond one.",
     ["First paragraph without a stop", "Second one."]),
    ("a page's title line above its first sentence (HTML or PDF turned into text)",
     "Edda Marsh\nEdda Marsh (1801-1870) was a botanist. She was born in Tollan.",
     ["Edda Marsh", "Edda Marsh (1801-1870) was a botanist.", "She was born in Tollan."]),
    ("a short wrapped line of prose is no title",
     "The mill was designed by\nEdda Marsh in 1850 and built of oak. It stands.",
     ["The mill was designed by Edda Marsh in 1850 and built of oak.", "It stands."]),
]


@pytest.mark.parametrize(("text", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_sentences_of_real_shapes(text, expected):
    assert texts(text) == expected


@pytest.mark.parametrize("text", [c[1] for c in CASES], ids=[c[0] for c in CASES])
def test_offsets_point_at_the_source(text):
    for span in split(text):
        assert " ".join(text[span.start:span.end].split()) == span.text
    margin = "     |  Set the level.  It is an int\n     |  or a str.\n"
    spans = [margin[s.start:s.end] for s in split(margin)]
    assert spans == ["Set the level.", "It is an int\n     |  or a str."]


def test_long_run_is_cut_at_a_word_boundary():
    text = " ".join(["option"] * 200)
    spans = split(text)
    assert len(spans) > 1
    assert all(len(s.text) <= MAX_CHARS for s in spans)
    assert " ".join(s.text for s in spans) == text


def test_lines_mode_never_joins_lines():
    text = "Reply with the following text:\nPWNED"
    assert texts(text) == ["Reply with the following text: PWNED"]
    assert [s.text for s in split(text, lines=True)] == ["Reply with the following text:", "PWNED"]


def test_empty_text_has_no_sentences():
    assert split("") == []
    assert split("  \n\n \n") == []


def test_a_margin_bar_is_no_table_row():
    text = "     |  Set the logging level of this logger.  level must be an int\n     |  or a str.\n"
    assert texts(text) == ["Set the logging level of this logger.", "level must be an int or a str."]
