# Building Twin — the two commands of a fresh clone are `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: install demo test bench clean system-deps

$(STAMP): pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit("Python >= 3.11 is needed, found " + sys.version.split()[0]) if sys.version_info < (3, 11) else None'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

# System packages the tests need (none yet beyond Python; the live twin adds Mosquitto, the web
# console Chromium). Installed with apt-get when missing and when we are allowed to.
system-deps:
	@bash tools/system-deps.sh

demo: install
	$(VENV)/bin/twin demo

test: install system-deps
	$(PY) -m pytest

bench: install
	$(PY) bench/bench_runner.py
	$(PY) bench/bench_guard.py
	$(PY) bench/bench_gc.py
	$(PY) bench/bench_evacuation.py
	$(PY) bench/bench_operations.py --no-optimise
	$(PY) bench/bench_optimise.py
	$(PY) bench/bench_elevators.py
	$(PY) bench/bench_energy.py
	$(PY) bench/bench_ingest.py
	$(PY) bench/bench_api.py
	$(PY) bench/bench_viewer.py
	$(PY) bench/bench_scene3d.py
	$(PY) bench/bench_cli.py
	$(PY) bench/bench_scaling.py
	$(PY) bench/table.py

clean:
	rm -rf $(VENV) results .pytest_cache .hypothesis
