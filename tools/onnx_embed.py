"""int8 inference of a BERT sentence embedder through onnxruntime.

The model's own weights (the bundled all-MiniLM-L6-v2, or any local BERT folder) are exported
once to ONNX with torch, fused with onnxruntime's BERT optimiser (attention, embedding LayerNorm
and GELU as single kernels; the residual Add and LayerNorm stay two nodes, see `UNFUSED`) and
quantised with onnxruntime's dynamic quantisation (int8 weights, per output channel; activations
quantised per batch). The result is cached under the user cache folder and reused by every later
process; nothing is ever downloaded.

Cache layout (version 1)::

    $XDG_CACHE_HOME/hopper/models/onnx/<model>-<key12>-int8.onnx

`key` hashes the model folder's path, weight file size and modification time and the
quantisation recipe, so a changed model or recipe makes a new file. An export is written to a
temporary file and renamed into place under a lock: two processes never both export, and a
half-written file is never read.

On 1,000 SciFact documents the int8 vectors give dense nDCG@10 0.794 against the float32
model's 0.789 (docs/benchmarks.md, "Indexing speed"); `index.embed.precision = "fp32"` turns
this off.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import re
import tempfile
import warnings
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from platformdirs import user_cache_dir

log = logging.getLogger(__name__)

RECIPE = {"version": 1, "opset": 17, "weights": "int8-per-channel", "ops": ["MatMul", "Attention"],
          "fp32": [], "unfused": ["SkipLayerNormalization"]}
"""What the cached file is: a change here makes a new cache file. `fp32` lists regular expressions
of MatMul node names left unquantised (empty: every projection is int8); `unfused`, the fusions
left out (`UNFUSED`)."""

UNFUSED = {"SkipLayerNormalization": ("enable_skip_layer_norm", "enable_bias_skip_layer_norm",
                                      "SkipLayerNormFusion")}
"""Fusions left out, as (the BERT optimiser's options, the session's optimiser of the same fusion).
onnxruntime's CPU SkipLayerNormalization takes 16 ms on 32 x 256 x 384 floats where Add then
LayerNormalization take 3.6 ms (one thread): fused, it was 18% of the int8 model's time."""


def cache_dir() -> Path:
    """`$XDG_CACHE_HOME/hopper/models/onnx` (platformdirs' user cache dir on other systems)."""
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg:
        base = Path(xdg) / "hopper"
    else:
        base = Path(user_cache_dir("hopper", appauthor=False))
    return base / "models" / "onnx"


def cached_path(model_dir: Path) -> Path:
    """Where the int8 export of `model_dir` is (or will be) cached."""
    weights = model_dir / "model.safetensors"
    stat = weights.stat()
    key = hashlib.sha256(json.dumps([str(model_dir.resolve()), stat.st_size, stat.st_mtime_ns, RECIPE])
                         .encode()).hexdigest()[:12]
    name = model_dir.name if model_dir.name != "model" else model_dir.parent.name
    return cache_dir() / f"{name}-{key}-int8.onnx"


def ensure_int8(model_dir: Path) -> Path:
    """The cached int8 model of `model_dir`, exported and quantised first if missing."""
    target = cached_path(model_dir)
    if target.is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with (target.parent / f".{target.name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another process may be exporting the same model
        if not target.is_file():
            log.info("making the int8 ONNX model of %s (once; cached at %s)", model_dir, target)
            with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
                out = Path(tmp) / "model.onnx"
                _export_int8(model_dir, Path(tmp), out)
                os.replace(out, target)
    return target


def _export_int8(model_dir: Path, tmp: Path, out: Path) -> None:
    """torch export (eager attention, so the optimiser can fuse it) -> BERT fusion -> int8."""
    import onnx  # heavy: onnx, loaded when first needed
    import torch  # heavy: torch, loaded when first needed
    from onnxruntime.quantization import QuantType, quantize_dynamic  # heavy: onnxruntime
    from onnxruntime.transformers.fusion_options import FusionOptions  # heavy: onnxruntime
    from onnxruntime.transformers.optimizer import optimize_model  # heavy: onnxruntime
    from transformers import AutoModel  # heavy: transformers (torch), loaded when first needed

    config = json.loads((model_dir / "config.json").read_text())
    model = AutoModel.from_pretrained(str(model_dir), local_files_only=True,
                                      attn_implementation="eager").eval()

    class _Hidden(torch.nn.Module):
        def __init__(self, bert):
            super().__init__()
            self.bert = bert

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.bert(input_ids=input_ids, attention_mask=attention_mask,
                             token_type_ids=token_type_ids).last_hidden_state

    names = ["input_ids", "attention_mask", "token_type_ids"]
    sample = tuple(torch.ones(2, 8, dtype=torch.long) for _ in names)
    raw, fused = tmp / "raw.onnx", tmp / "fused.onnx"
    fusions = FusionOptions("bert")
    for name in RECIPE["unfused"]:
        for option in UNFUSED[name][:-1]:
            setattr(fusions, option, False)
    with torch.inference_mode(), warnings.catch_warnings(), _quiet_root_logger():
        warnings.simplefilter("ignore")  # the exporter's notes on tracing; the tests check the vectors
        torch.onnx.export(_Hidden(model), sample, str(raw), input_names=names,
                          output_names=["last_hidden_state"], opset_version=RECIPE["opset"], dynamo=False,
                          dynamic_axes={n: {0: "batch", 1: "seq"} for n in [*names, "last_hidden_state"]})
        optimize_model(str(raw), model_type="bert", num_heads=int(config["num_attention_heads"]),
                       hidden_size=int(config["hidden_size"]), opt_level=1,
                       optimization_options=fusions).save_model_to_file(str(fused))
        graph = onnx.load(str(fused)).graph
        keep = [n.name for n in graph.node
                if n.op_type == "MatMul" and any(re.search(p, n.name) for p in RECIPE["fp32"])]
        quantize_dynamic(str(fused), str(out), weight_type=QuantType.QInt8, per_channel=True,
                         op_types_to_quantize=RECIPE["ops"], nodes_to_exclude=keep,
                         extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})


@contextmanager
def _quiet_root_logger():
    """onnxruntime's quantiser logs its notes on the root logger; keep them out of Hopper's output."""
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)
    try:
        yield
    finally:
        root.setLevel(level)


class OnnxBert:
    """`BertModel(...).last_hidden_state` from the cached int8 model, on onnxruntime's CPU kernels.

    Args:
        model_dir: the BERT model folder (safetensors weights).
        threads: onnxruntime's intra-op threads; 0 = one per available core. Inter-op stays at 1,
            so the runtime never starts more threads than cores, and idle threads do not spin.
    """

    def __init__(self, model_dir: Path, threads: int = 0):
        import onnxruntime as ort  # heavy: onnxruntime, loaded when first needed

        path = ensure_int8(model_dir)
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or _cores()
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        # Idle threads sleep rather than spin between kernels: on a busy machine (load 5 on 2 cores)
        # spinning threads took the cores the working one needed (200 realdocs chunks: 30 texts/s
        # without spinning, 19 with).
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        # Memory patterns plan one block per input shape, and every batch of an index build has its
        # own length: off, the largest batch's peak is 140 MB lower (realdocs, 32 texts of 256 tokens:
        # 778 vs 919 MB peak RSS) at the same speed (alternating rounds: 1.79 vs 1.78 x raw).
        options.enable_mem_pattern = False
        options.log_severity_level = 3
        # the session's own optimiser would fuse again what the recipe left unfused
        unfused = {"disabled_optimizers": [UNFUSED[name][-1] for name in RECIPE["unfused"]]}
        try:
            self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"],
                                                **unfused)
        except Exception:  # a damaged cache file: make it again, once
            log.warning("the cached int8 model %s could not be opened; making it again", path)
            path.unlink(missing_ok=True)
            self.session = ort.InferenceSession(str(ensure_int8(model_dir)), options,
                                                providers=["CPUExecutionProvider"], **unfused)
        self.path = path
        self.hidden = int(json.loads((model_dir / "config.json").read_text())["hidden_size"])
        self._inputs = {i.name for i in self.session.get_inputs()}
        self._shrink = ort.RunOptions()
        self._shrink.add_run_config_entry("memory.enable_memory_arena_shrinkage", "cpu:0")

    def __call__(self, ids: np.ndarray, mask: np.ndarray, types: np.ndarray) -> np.ndarray:
        return self._run(ids, mask, types, None)

    def _run(self, ids: np.ndarray, mask: np.ndarray, types: np.ndarray, options) -> np.ndarray:
        feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
        return self.session.run(None, {k: v for k, v in feed.items() if k in self._inputs}, options)[0]

    def release(self) -> None:
        """Hand the runtime's working memory back to the system: its arena keeps the largest batch's
        (about 460 MB after 32 texts of 256 tokens) until the session closes. A one-token run with
        arena shrinkage frees every block no longer in use; the next batch allocates afresh."""
        one = np.ones((1, 1), dtype=np.int64)
        self._run(one, one, np.zeros_like(one), self._shrink)


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
