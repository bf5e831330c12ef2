"""One entry point for the CLI, the TUI and evaluation: an index, the LMs and the agent,
built from a `HopperConfig`."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path

from agent import lm as lm_api  # its names are looked up on each call (agent.lm loads its factory lazily)
from agent.budget import check_prompt_budget
from agent.config import HopperConfig
from agent.language import check_question
from agent.lm.models import is_local
from agent.research import AgentResult, ResearchAgent
from agent.trace import Subscriber, Trace
from tools.errors import ConfigError, DataFormatError
from tools.index import Index

log = logging.getLogger(__name__)

PROGRAMS_DIR = Path(__file__).parent / "programs"


def default_program(cfg: HopperConfig) -> Path | None:
    """The program compiled for the configured LM and shipped with Hopper, if any."""
    if cfg.agent.program:
        path = Path(cfg.agent.program).expanduser()
        if not path.is_file():
            raise ConfigError(f"program file {path} not found (from agent.program / --program)")
        return path
    name = program_name(cfg.lm.model)
    shipped = PROGRAMS_DIR / f"{name}.json" if name else None
    return shipped if shipped is not None and shipped.is_file() else None


def program_name(model: str) -> str | None:
    """The shipped program's file stem for an LM: `local` -> local, `local:1.5b` -> local-1.5b;
    any other LM (a GGUF file, a server, a hosted model) has none."""
    if model in ("local", "local:qwen"):
        return "local"
    if model.startswith("local:") and "/" not in model:
        return model.replace(":", "-")
    return None


class Session:
    """An opened index plus the agent and its LMs; `ask` is safe to call from a worker thread."""

    def __init__(self, cfg: HopperConfig, index=None, *, lm=None, fast_lm=None, load_program: bool = True):
        self.cfg = cfg
        if index is None and cfg.index_dir:
            index = Index(cfg.index_dir, cfg.index)
        self.index = index
        self.lm = lm or lm_api.get_lm(cfg.lm)
        self.fast_lm = fast_lm or (lm_api.get_lm(cfg.lm, fast=True) if cfg.lm.fast_model else None)
        self.agent = ResearchAgent(cfg.agent, index, lm=self.lm, fast_lm=self.fast_lm)
        self.agent.runtime.lm_name = lm_api.describe_lm(cfg.lm)
        self.agent.runtime.embedded = is_local(cfg.lm.model)
        fast_name = lm_api.describe_lm(cfg.lm, fast=True) if cfg.lm.fast_model else None
        self.agent.runtime.meta = {"fast_lm": fast_name}
        self.program: Path | None = None
        if load_program:
            self.program = default_program(cfg)
            if self.program is not None:
                load_program_file(self.agent, self.program, cfg)

    def ask(self, question: str, *, mode: str | None = None, subscribers: Iterable[Subscriber] = (),
            cancel: threading.Event | None = None, history: Sequence[tuple[str, str]] = (),
            trace: Trace | None = None) -> AgentResult:
        check_question(question)  # no words, or not English: say so instead of a wrong name
        check_prompt_budget(question, self.cfg)  # before any work: say what fits
        with lm_api.lm_context(self.cfg, lm=self.lm):
            return self.agent.run(question, mode=mode, subscribers=list(subscribers), cancel=cancel,
                                  history=history, trace=trace)


def load_program_file(agent: ResearchAgent, path: Path, cfg: HopperConfig) -> None:
    """Load compiled predictor state (demos, instructions) saved by `hopper optimize`."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise DataFormatError(f"{path}: not a readable program file ({exc})") from exc
    meta = data.get("hopper", {}) if isinstance(data, dict) else {}
    compiled_for = meta.get("lm")
    if compiled_for and compiled_for != cfg.lm.model:
        log.warning("program %s was compiled for LM %r, running with %r", path, compiled_for, cfg.lm.model)
    state = data.get("program", data)
    if not isinstance(state, dict):
        raise DataFormatError(f"{path}: not a program file (no predictor states)")
    names = [name for name, _ in agent.named_predictors()]
    missing = [n for n in names if n not in state]
    if len(missing) == len(names):
        raise DataFormatError(f"{path}: program does not match this agent (none of its steps: "
                              f"{', '.join(sorted(state)) or 'empty'})")
    if missing:  # predictors added since the program was compiled keep their defaults
        log.info("program %s has no state for %s: they run uncompiled", path, ", ".join(missing))
    try:
        for name, predictor in agent.named_predictors():
            if name in state:
                predictor.load_state(state[name])
    except Exception as exc:
        raise DataFormatError(f"{path}: program does not match this agent ({exc})") from exc
