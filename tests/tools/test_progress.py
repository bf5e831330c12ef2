"""Progress for long work when the output is a log file or pipe: periodic one-line updates."""

from __future__ import annotations

import io
import re

from tools.progress import LineProgress


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_one_line_every_interval_with_stage_done_total_rate_and_eta():
    out, clock = io.StringIO(), Clock()
    progress = LineProgress(out, interval=5.0, clock=clock)
    progress.start("embed", 7803)
    for _ in range(40):  # 40 batches of 64 chunks, one every 0.5 s: 20 s in all
        clock.now += 0.5
        progress.advance("embed", 64)
    progress.finish("embed")
    lines = out.getvalue().splitlines()
    assert lines[0] == "hopper: embedding started (7,803 items)"
    assert lines[1] == "hopper: embedding 640/7,803 (8%) · 128.0/s · ETA 56s"
    assert len(lines) == 1 + 4 + 1  # start, one line per 5 s, finish
    assert lines[-1] == "hopper: embedding done: 2,560 in 20s (128.0/s)"
    assert all("\r" not in line and "\x1b" not in line for line in lines)


def test_a_task_without_a_total_reports_count_and_rate():
    out, clock = io.StringIO(), Clock()
    progress = LineProgress(out, interval=2.0, clock=clock)
    progress.start("read", None)
    clock.now += 3
    progress.advance("read", 30)
    assert out.getvalue().splitlines()[-1] == "hopper: reading 30 · 10.0/s"


def test_hopper_index_prints_progress_lines_when_stderr_is_not_a_terminal(tmp_path, capsys, monkeypatch):
    from tools import progress as progress_module
    from tui.cli import main

    monkeypatch.setattr(progress_module.LineProgress, "DEFAULT_INTERVAL", 0.0)  # every update shows
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "long.txt").write_text(" ".join(f"Sentence {i} is about the lighthouse." for i in range(400)))
    assert main(["index", str(docs), "--index", str(tmp_path / "i"), "--no-graph", "--batch-size", "4"]) == 0
    err = capsys.readouterr().err
    embed = [ln for ln in err.splitlines() if ln.startswith("hopper: embedding ")]
    assert embed[0].startswith("hopper: embedding started (")
    line = re.compile(r"hopper: embedding \d+/\d+ \(\d+%\) · [\d,.]+/s · ETA \d+(s|m\d\ds)")
    assert any(line.fullmatch(ln) for ln in embed)
    assert embed[-1].startswith("hopper: embedding done: ")

    # the last line gives each stage's totals, in the order the stages ran
    last = err.splitlines()[-1]
    assert re.fullmatch(r"hopper: totals: reading 1 in \d+s \([\d,.]+/s\) · embedding (\d+) in \d+s "
                        r"\([\d,.]+/s\) · BM25 index .* · all \d+s", last), last


def test_stage_totals_add_up_a_stage_run_twice_and_name_rates():
    from tools.progress import StageTotals

    clock = Clock()
    totals = StageTotals(clock)
    totals.start("embed", 100)
    clock.now += 10
    totals.advance("embed", 100)
    totals.finish("embed")
    totals.start("graph", 100)
    totals.advance("graph", 100)
    clock.now += 80
    totals.finish("graph")
    totals.start("embed", 20)  # a second embedding pass (node names) adds to the first
    totals.advance("embed", 20)
    clock.now += 2
    totals.finish("embed")
    assert totals.stages == {"embed": {"items": 120, "seconds": 12.0},
                             "graph": {"items": 100, "seconds": 80.0}}
    assert totals.line() == ("totals: embedding 120 in 12s (10.0/s) · graph extraction 100 in 1m20s (1.2/s)"
                             " · all 1m32s")
