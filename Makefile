PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install test typecheck demo bench chaos skill mcpb browser lock clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(STAMP): $(PY) pyproject.toml setup.py constraints.txt
	$(PY) -m pip install --quiet -c constraints.txt -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

test: $(STAMP) browser typecheck
	$(PY) -m pytest -n 2 --dist loadfile -q

# Headless Chromium for the MCP App view tests (Debian's package; those tests skip without it).
browser:
	@command -v chromium >/dev/null 2>&1 || { command -v apt-get >/dev/null 2>&1 && \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) || \
		echo "chromium not installed: the MCP App view tests will skip"; }

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

# MCP Bundle for Claude Desktop: the official mcpb CLI, pinned, installed under .cache/ (needs npm).
MCPB_VERSION := 2.1.2
MCPB := .cache/mcpb/node_modules/.bin/mcpb
MCPB_OUT ?= dist/nexla-data-flows-operator.mcpb

$(MCPB):
	npm install --silent --no-audit --no-fund --prefix .cache/mcpb @anthropic-ai/mcpb@$(MCPB_VERSION)

mcpb: $(MCPB)
	$(MCPB) validate manifest.json
	mkdir -p $(dir $(MCPB_OUT))
	$(MCPB) pack . $(MCPB_OUT)

lock: $(PY)
	$(PY) -m pip install --quiet -e '.[test,bench]'
	$(PY) -m pip freeze --exclude-editable | grep -v '^-e' > constraints.txt

clean:
	rm -rf $(VENV) dist .pytest_cache .cache .test-output
