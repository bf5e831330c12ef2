"""llama-cpp-python's OpenAI-compatible server with the embedded model's safe CPU settings.

`python -m agent.lm.serve --model FILE.gguf --port 8080` runs `python -m llama_cpp.server` with
the same arguments, but builds the model the way Hopper's in-process loader does: on CPUs that
advertise AMX, llama.cpp's extra buffer types are turned off (they trap inside many VMs, and
the stock server then dies with a segmentation fault on its first request). Point Hopper at it
with `--lm http://127.0.0.1:8080/v1`. Needs `pip install 'llama-cpp-python[server]'`.
"""

from __future__ import annotations

import runpy
import sys

from agent.lm.loader import safe_model_params


def main() -> None:
    try:
        import llama_cpp.server.__main__  # noqa: F401 - checks the server extra is installed
    except ImportError as exc:
        sys.exit(f"hopper: error: the llama.cpp server is not installed ({exc.name}): "
                 f"run `pip install 'llama-cpp-python[server]==0.3.36'`")
    with safe_model_params():
        runpy.run_module("llama_cpp.server", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
