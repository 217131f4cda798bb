# CFO Desk — the two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
RUNTIME_STAMP := $(VENV)/.installed-runtime
DEV_STAMP := $(VENV)/.installed-dev
BENCH_STAMP := $(VENV)/.installed-bench
PACKAGE_STAMP := $(VENV)/.installed-package

.PHONY: run demo test lint bench package clean

$(VENV)/bin/python:
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
	  { echo "CFO Desk needs Python 3.11 or newer (found $$($(PYTHON) --version))"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(RUNTIME_STAMP): pyproject.toml | $(VENV)/bin/python
	$(PIP) install --quiet -e .
	touch $@

$(DEV_STAMP): pyproject.toml | $(VENV)/bin/python
	$(PIP) install --quiet -e '.[dev]'
	touch $@ $(RUNTIME_STAMP)

$(BENCH_STAMP): pyproject.toml | $(DEV_STAMP)
	$(PIP) install --quiet -e '.[dev,bench]'
	touch $@

# The window when there is a display; otherwise the headless demo with a terminal progress bar.
run: $(RUNTIME_STAMP)
	@if [ -n "$$DISPLAY$$WAYLAND_DISPLAY" ] || [ "$$(uname)" = Darwin ]; then \
	  $(PY) -m cfodesk; \
	else \
	  echo "No display found: running the headless demo on the bundled sample."; \
	  $(PY) -m cfodesk demo --progress bar; \
	fi

demo: $(RUNTIME_STAMP)
	$(PY) -m cfodesk demo --progress bar

lint: $(DEV_STAMP)
	$(VENV)/bin/ruff check src tests bench tools
	$(VENV)/bin/lint-imports

test: lint
	QT_QPA_PLATFORM=offscreen $(VENV)/bin/pytest -q

bench: $(BENCH_STAMP)
	$(PY) bench/intake.py
	$(PY) bench/forecast_accuracy.py
	$(PY) bench/interval_levels.py
	$(PY) bench/global_model.py
	$(PY) bench/report_speed.py --jobs 2
	$(PY) bench/anomaly_recall.py --seeds 5
	$(PY) bench/progress_honesty.py
	QT_QPA_PLATFORM=offscreen $(PY) bench/gui_responsiveness.py

$(PACKAGE_STAMP): pyproject.toml | $(DEV_STAMP)
	$(PIP) install --quiet -e '.[dev,package]'
	touch $@

# The double-clickable app (one folder, windowed): build, smoke-test headless, print size/start-up.
package: $(PACKAGE_STAMP)
	nice $(VENV)/bin/pyinstaller --noconfirm --clean build_app.spec
	QT_QPA_PLATFORM=offscreen $(VENV)/bin/pytest -q tests/package
	$(PY) tools/package_report.py --runs 3

clean:
	rm -rf build dist demo-report .pytest_cache .ruff_cache
