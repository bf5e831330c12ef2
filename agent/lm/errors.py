"""LM failures as one-line `ModelError`s that name the fix, with secrets scrubbed.

DSPy raises its `LMError` family (after its own bounded retries) and `AdapterParseError`
when a reply does not fit the signature. `to_model_error` maps each to a message a user can
act on; `lm_errors()` applies it around a block of agent code.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from tools.errors import HopperError, ModelError
from tools.redact import mask_secrets

_SECRET_PATTERNS = [
    re.compile(r"\b(sk|pk|rk|xai|gsk|hf)[-_][A-Za-z0-9_\-]{8,}"),
    re.compile(r"(?i)(api[_-]?key|authorization|bearer|x-api-key|token)([\"'=:\s]+)([^\s\"',;]{6,})"),
]


class LMUnavailableError(ModelError):
    """The LM server cannot be reached, timed out or refused the credentials."""


class LMRateLimitedError(ModelError):
    """The provider kept rate-limiting after the bounded retries."""


class LMOutputError(ModelError):
    """The LM's reply could not be parsed into the signature's fields."""


def redact(text: str, secrets: tuple[str, ...] = ()) -> str:
    """`text` with API keys (known ones and key-shaped tokens) replaced by `***`."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "***")
    text = mask_secrets(_SECRET_PATTERNS[0].sub("***", text))
    return _SECRET_PATTERNS[1].sub(lambda m: f"{m.group(1)}{m.group(2)}***", text)


def _short(exc: BaseException, secrets: tuple[str, ...] = (), limit: int = 100) -> str:
    text = " ".join(str(getattr(exc, "message", None) or exc).split())
    text = redact(text, secrets)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _chain_text(exc: BaseException) -> str:
    """The lower-cased messages of `exc` and its causes (for classifying SDK errors)."""
    seen = set()
    texts = []
    node: BaseException | None = exc
    while node is not None and id(node) not in seen:
        seen.add(id(node))
        texts.append(f"{type(node).__name__}: {node}".lower())
        node = node.__cause__ or node.__context__
    return " | ".join(texts)


def _reason(exc: BaseException) -> str:
    """A few words on why a connection failed, from the exception chain."""
    low = _chain_text(exc)
    if "refused" in low:
        return "connection refused"
    if "name or service not known" in low or "nodename nor servname" in low or "getaddrinfo" in low:
        return "unknown host"
    if "timed out" in low or "timeout" in low:
        return "timed out"
    return "connection failed"


_MALFORMED = ("not json", "expecting value", "jsondecodeerror", "invalid json", "unexpected response format",
              "missing choices", "no choices")
_UNREACHABLE = ("connection error", "connection refused", "connecterror", "failed to establish",
                "name or service not known", "all connection attempts failed")


def to_model_error(exc: BaseException, *, model: str = "", api_base: str = "",
                   timeout_s: float | None = None, retries: int | None = None,
                   secrets: tuple[str, ...] = ()) -> HopperError | None:
    """The user-facing error for an LM failure, or None when `exc` is not an LM failure."""
    from dspy.utils.exceptions import AdapterParseError, ContextWindowExceededError, LMError  # heavy: dspy

    if isinstance(exc, HopperError):
        return exc
    cause = exc.__cause__
    if isinstance(cause, HopperError):  # raised inside our own engine
        return cause
    if isinstance(exc, AdapterParseError):
        return LMOutputError(f"the LM's reply did not fit the expected fields ({_short(exc, secrets, 100)}): "
                             f"use a larger model (--lm) or the JSON adapter (lm.adapter = \"json\")")
    if isinstance(exc, ContextWindowExceededError):
        return ModelError(f"the prompt is longer than {model or 'the LM'}'s context window: raise lm.n_ctx "
                          f"(embedded models), lower agent.evidence_k, or use a model with a longer context")
    if not isinstance(exc, LMError):
        return None
    where = f"at {mask_secrets(api_base)}" if api_base else f"for {model}" if model else ""
    tries = f" after {retries + 1} attempts" if retries else ""
    fallback = "or pass --lm local" if model and not model.startswith("local") else "or try another model"
    return (_transport_error(exc, where, tries, fallback, timeout_s)
            or _provider_error(exc, model, where, tries, fallback, _short(exc, secrets)))


def _transport_error(exc: BaseException, where: str, tries: str, fallback: str,
                     timeout_s: float | None) -> HopperError | None:
    """The error for a reply that never came or was not a chat completion; None for provider errors."""
    from dspy.utils.exceptions import LMTimeoutError, LMTransportError  # heavy: dspy

    chain = _chain_text(exc)
    if any(marker in chain for marker in _MALFORMED):
        return ModelError(f"the LM server {where} sent a reply that is not an OpenAI chat completion: "
                          f"check that --api-base / lm.api_base points at an OpenAI-compatible /v1 "
                          f"endpoint, {fallback}")
    if not isinstance(exc, LMTimeoutError) and any(marker in chain for marker in _UNREACHABLE):
        return LMUnavailableError(f"cannot reach LM server {where} ({_reason(exc)}){tries}: start it, "
                                  f"check --api-base / lm.api_base, {fallback}")
    if isinstance(exc, LMTimeoutError) or (isinstance(exc, LMTransportError) and _reason(exc) == "timed out"):
        limit = f" after {timeout_s:g}s" if timeout_s else ""
        return LMUnavailableError(f"LM request {where} timed out{limit}{tries}: raise lm.timeout_s "
                                  f"(HOPPER_LM_TIMEOUT_S), use a faster model, {fallback}")
    if isinstance(exc, LMTransportError):
        return LMUnavailableError(f"cannot reach LM server {where} ({_reason(exc)}){tries}: start it, "
                                  f"check --api-base / lm.api_base, {fallback}")
    return None


def _provider_error(exc: BaseException, model: str, where: str, tries: str, fallback: str,
                    detail: str) -> HopperError:
    """The error for a request the LM provider answered with a refusal or a failure."""
    from dspy.utils.exceptions import (  # heavy: dspy (~1 s); agent.lm is imported by `hopper --help`
        LMAuthError,
        LMBillingError,
        LMConfigurationError,
        LMInvalidRequestError,
        LMProviderError,
        LMRateLimitError,
        LMServerError,
        LMUnsupportedModelError,
    )

    if isinstance(exc, LMRateLimitError):
        return LMRateLimitedError(f"rate-limited by the LM provider {where}{tries}: wait and re-run "
                                  f"(finished calls are cached), or raise lm.retries")
    if isinstance(exc, LMBillingError):
        return LMUnavailableError(f"the LM provider {where} refused the request for billing or quota "
                                  f"reasons: check your account, {fallback}")
    if isinstance(exc, (LMAuthError, LMConfigurationError)):
        return LMUnavailableError(f"the LM provider {where} needs a valid API key ({detail}): set lm.api_key "
                                  f"in ~/.config/hopper/config.toml, HOPPER_LM_API_KEY, or the provider's "
                                  f"variable (e.g. OPENAI_API_KEY), {fallback}")
    if isinstance(exc, LMUnsupportedModelError):
        return ModelError(f"model {model!r} is not served {where} ({detail}): check the --lm name")
    if isinstance(exc, LMServerError):
        return LMUnavailableError(f"the LM server {where} failed{tries} ({detail}): retry later, {fallback}")
    if isinstance(exc, LMInvalidRequestError):
        return ModelError(f"the LM server {where} rejected the request ({detail}): "
                          f"check --lm and lm settings")
    if isinstance(exc, LMProviderError):
        return ModelError(f"the LM server {where} returned an error ({detail}): check that it is "
                          f"OpenAI-compatible, {fallback}")
    return ModelError(f"the LM server {where} sent an unusable reply ({detail}): check that it speaks the "
                      f"OpenAI chat API, {fallback}")


@contextmanager
def lm_errors(settings: Any = None, *, model: str = "") -> Iterator[None]:
    """Re-raise LM failures inside the block as one-line `ModelError`s (naming the fix).

    Args:
        settings: the `LMSettings` in use (for the model, server, timeout and secrets), optional.
        model: the model id when no settings are given.
    """
    try:
        yield
    except Exception as exc:
        kwargs = error_context(settings, model=model)
        mapped = to_model_error(exc, **kwargs)
        if mapped is None or mapped is exc:
            raise
        raise mapped from None


def error_context(settings: Any = None, *, model: str = "") -> dict[str, Any]:
    if settings is None:
        return {"model": model}
    return {"model": model or settings.model, "api_base": settings.api_base, "timeout_s": settings.timeout_s,
            "retries": settings.retries, "secrets": (settings.api_key,) if settings.api_key else ()}
