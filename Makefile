PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install test typecheck demo bench skill lock clean

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

bench: $(STAMP)
	$(PY) benchmarks/bench_transform.py

skill: $(STAMP)
	$(PY) tools/build_skill.py dist

lock: $(PY)
	$(PY) -m pip install --quiet -e '.[test]'
	$(PY) -m pip freeze --exclude-editable | grep -v '^-e' > constraints.txt

clean:
	rm -rf $(VENV) dist .pytest_cache
