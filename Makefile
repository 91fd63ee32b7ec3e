PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install test typecheck demo bench chaos skill lock clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(STAMP): $(PY) pyproject.toml setup.py constraints.txt
	$(PY) -m pip install --quiet -c constraints.txt -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

test: $(STAMP)
	$(PY) -m pytest -n 2 --dist loadfile -q

typecheck: $(STAMP)
	$(PY) -m mypy

demo: $(STAMP)
	$(PY) demo/run_demo.py

BENCH_STAMP := $(VENV)/.installed-bench

$(BENCH_STAMP): $(STAMP)
	$(PY) -m pip install --quiet -c constraints.txt -e '.[test,bench]'
	touch $(BENCH_STAMP)

# Side-by-side ratios (never absolute targets); writes benchmarks/results/latest.json. BENCH_ARGS=--only health,batch
bench: $(BENCH_STAMP)
	$(PY) benchmarks/bench.py $(BENCH_ARGS)

# Seeded fault drill; scale with CHAOS_ARGS="--deploys 20 --batch 100 --health 10".
chaos: $(STAMP)
	$(PY) tools/chaos.py $(CHAOS_ARGS)

skill: $(STAMP)
	$(PY) tools/build_skill.py dist

lock: $(PY)
	$(PY) -m pip install --quiet -e '.[test,bench]'
	$(PY) -m pip freeze --exclude-editable | grep -v '^-e' > constraints.txt

clean:
	rm -rf $(VENV) dist .pytest_cache
