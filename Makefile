# Two commands on a fresh machine: `make demo` and `make test`. Everything else builds on `install`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SAMPLE := samples/zelensky-gauntlet.html
OUT := out

.PHONY: install demo test lint bench eval clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: install
	mkdir -p $(OUT)
	$(BIN)/narrate article $(SAMPLE) -o $(OUT)/zelensky-gauntlet.mp3

lint: install
	$(BIN)/ruff check narrate tests scripts
	$(BIN)/ruff format --check narrate tests scripts

test: lint
	$(BIN)/python -m pytest

bench: install
	$(BIN)/python scripts/bench.py
	$(BIN)/python scripts/bench_synthesis.py

eval: install
	$(BIN)/python scripts/eval_narration.py
	$(BIN)/python scripts/eval_extract.py
	$(BIN)/python scripts/eval_feeds.py

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache .ruff_cache .hypothesis
