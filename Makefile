# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test lint bench train-crisis clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/activate
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/activate
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(VENV)/.installed $@

run: $(VENV)/.installed
	$(BIN)/harbor run

test: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/pytest -q

bench: $(VENV)/.installed-dev
	$(BIN)/python bench/core_throughput.py

$(VENV)/.installed-train: pyproject.toml | $(BIN)/activate
	$(BIN)/pip install --quiet -e '.[train]'
	touch $(VENV)/.installed $@

# Rebuild the crisis classifier from the labelled data in the repo, bit for bit:
# bot/data/crisis_model.json.gz (tests/test_crisis_classifier.py checks it is up to date).
train-crisis: $(VENV)/.installed-train
	$(BIN)/python -m training.crisis.train

clean:
	rm -rf $(VENV) build *.egg-info
