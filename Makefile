# Two commands on a fresh machine: `make demo` and `make test`. Everything else builds on `install`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SAMPLE := samples/zelensky-gauntlet.html
OUT := out

.PHONY: install browser demo test lint bench eval clean

# pip compiles a wheel's modules as it installs them; an editable install's are compiled here
# (only those changed since), so that runs import what users run even where the environment
# says PYTHONDONTWRITEBYTECODE, as this project's machines do.
install: $(STAMP)
	$(BIN)/python -m compileall -q narrate

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

# The listening-page tests drive Debian's Chromium: installed here when missing and root may.
browser:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null \
	|| { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
	     && apt-get update -qq && apt-get install -y -qq chromium chromium-driver; } \
	|| echo "warning: no chromium/chromedriver and no way to install them: browser tests skip" >&2

test: lint browser
	$(BIN)/python -m pytest

bench: install
	$(BIN)/python scripts/bench.py
	$(BIN)/python scripts/bench_synthesis.py
	$(BIN)/python scripts/bench_cluster.py

eval: install
	$(BIN)/python scripts/eval_narration.py
	$(BIN)/python scripts/eval_extract.py
	$(BIN)/python scripts/eval_feeds.py

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache .ruff_cache .hypothesis
