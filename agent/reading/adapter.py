"""A plain-text adapter for one-output signatures: the prompt a small model reads best.

DSPy's JSON and chat adapters wrap every call in field markers and schemas; for "one short thing
over a few sentences" a 0.5B model does better with plain chat: the instruction as the system
message, the inputs as labelled lines, and the reply taken whole as the single output field.
Demos (from `hopper optimize`) become user/assistant pairs in the same format. `reply_scores`
scores replies under that same prompt.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Sequence
from typing import Any

import dspy
import numpy as np
from dspy.utils.exceptions import AdapterParseError

log = logging.getLogger(__name__)


class PlainAdapter(dspy.Adapter):
    """Formats a signature with exactly one output field as plain chat; parses the first line."""

    def format(self, signature, demos: list[dict[str, Any]], inputs: dict[str, Any]) -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = [{"role": "system", "content": signature.instructions}]
        out_name = next(iter(signature.output_fields))
        for demo in demos:
            if all(k in demo for k in signature.input_fields) and demo.get(out_name):
                messages.append({"role": "user", "content": self._user(signature, demo)})
                messages.append({"role": "assistant", "content": str(demo[out_name])})
        messages.append({"role": "user", "content": self._user(signature, inputs)})
        return messages

    @staticmethod
    def _user(signature, values: dict[str, Any]) -> str:
        lines = []
        for name in signature.input_fields:
            label = name.replace("_", " ").capitalize()
            value = values.get(name, "")
            lines.append(f"{label}:\n{value}" if "\n" in str(value) else f"{label}: {value}")
        ((out_name, out_field),) = signature.output_fields.items()
        desc = out_field.json_schema_extra.get("desc", "") if out_field.json_schema_extra else ""
        label = out_name.replace("_", " ").capitalize()
        lines.append(f"{label} ({desc}):" if desc and not desc.startswith("${") else f"{label}:")
        return "\n\n".join(lines[:-1]) + "\n\n" + lines[-1]

    def parse(self, signature, completion: str) -> dict[str, Any]:
        ((out_name, _),) = signature.output_fields.items()
        completion = str(completion or "")
        marked = re.search(rf"\[\[ ## {out_name} ## \]\]\s*(.*?)\s*(?:\[\[ ## |$)", completion, re.S)
        if marked:  # a model (or DSPy's DummyLM) that answers in the chat adapter's field format
            completion = marked.group(1)
        if completion.lstrip().startswith("{"):  # a model that answers in JSON anyway
            try:
                value = json.loads(completion)
            except ValueError:
                value = None
            if isinstance(value, dict) and value.get(out_name) not in (None, ""):
                return {out_name: str(value[out_name]).strip()}
        lines = [ln.strip() for ln in completion.strip().splitlines() if ln.strip()]
        if not lines:
            raise AdapterParseError(
                adapter_name="PlainAdapter",
                signature=signature,
                lm_response=str(completion),
                message="empty reply",
            )
        text = lines[0]
        label = out_name.replace("_", " ")
        for prefix in (f"{label}:", "answer:", "short answer:", "a:"):
            if text.lower().startswith(prefix):
                text = text[len(prefix) :].strip()
        return {out_name: text}


def reply_scores(predictor: dspy.Predict, passages: str, question: str,
                 options: Sequence[str]) -> list[float] | None:
    """Each option's log-probability as `predictor`'s whole reply to its own prompt (signature and
    demos) over `passages` (an option counts in lower case and capitalised), from the embedded
    model's logits (`agent.lm.scoring`); None when the LM gives no scores or scoring fails."""
    engine = getattr(predictor.lm or dspy.settings.lm, "engine", None)
    if not options or not callable(getattr(engine, "score", None)):
        return None
    messages = PlainAdapter().format(predictor.signature, predictor.demos,
                                     {"passages": passages, "question": question})
    variants = [sorted({o, o[:1].upper() + o[1:]}) for o in options]
    try:
        flat = engine.score(messages, [v for vs in variants for v in vs])
    except (RuntimeError, ValueError, OSError) as exc:
        log.info("scoring the options failed: %s", exc)
        return None
    if not flat:
        return None
    scores, i = [], 0
    for vs in variants:
        scores.append(float(np.logaddexp.reduce(flat[i : i + len(vs)])))
        i += len(vs)
    return scores
