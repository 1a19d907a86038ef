# Two entry points for a fresh machine (Python 3.11+):
#   make demo   set up and run the flagship scenario, write results and a report
#   make test   set up (incl. headless Chromium for the dashboard tests) and run the test suite
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
SCALE ?= 100

.PHONY: demo test lint docs setup setup-test browser clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

setup: $(BIN)/python
	$(BIN)/pip install --quiet -e ".[all]"

setup-test: $(BIN)/python
	$(BIN)/pip install --quiet -e ".[all,bench]"
	bash scripts/install-browser.sh

demo: setup
	$(BIN)/tolqyn run kazakhstan-2022 --scale $(SCALE) --out runs/kazakhstan-2022 --report --overwrite
	@echo "open runs/kazakhstan-2022/report.html"

test: setup-test lint
	$(BIN)/python -m pytest -n 2 --durations=15 -q

lint: setup-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

docs: setup-test
	$(BIN)/mkdocs build --strict   # the site in site/ (the tests build it too)

clean:
	rm -rf runs test-artifacts .pytest_cache site dist
