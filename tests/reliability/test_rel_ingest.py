"""Probes: UTF-16 text without a byte-order mark is read (not skipped as binary); binary data whose
bytes look a little like UTF-16 is still skipped."""

from __future__ import annotations

import numpy as np
import pytest

from tools.errors import IngestError
from tools.ingest import decode_text

TEXT = "Lowbridge\nLowbridge is a market town on the Sarn river. Äpfel – café 東京.\n"


@pytest.mark.parametrize("encoding", ["utf-16-be", "utf-16-le", "utf-16", "utf-8"])
def test_utf16_without_a_bom_is_decoded(encoding):
    assert decode_text(TEXT.encode(encoding)) == TEXT


def test_small_integers_are_not_utf16_text():
    with pytest.raises(IngestError, match="binary"):
        decode_text(np.arange(1000, dtype="<i2").tobytes())


def test_a_utf16_be_file_without_a_bom_is_indexed(tmp_path):
    from rel_support import settings

    from tools.index import Index, build_index

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "lowbridge.txt").write_bytes(TEXT.encode("utf-16-be"))
    result = build_index([docs], tmp_path / "idx", settings())
    assert result.report.skipped == [] and result.manifest.counts["documents"] == 1
    hit = Index(tmp_path / "idx").retriever("bm25").search("Sarn river", 1)[0]
    assert "market town on the Sarn river" in hit.text
