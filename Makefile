# Every target does its own set-up on a fresh Debian machine (as root): Debian's
# influxdb package when influxd is missing, Python's venv support, then .venv with
# influxkit and its extras.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
APT    := DEBIAN_FRONTEND=noninteractive apt-get

.PHONY: soak test demo lint docs bench system-deps venv clean

test: system-deps venv
	$(BIN)/pytest

demo: system-deps venv
	$(BIN)/python examples/demo.py

# BENCH_ARGS="--quick" or "--only dicts" etc.; see benchmarks/README.md.
bench: system-deps venv
	$(BIN)/python benchmarks/run.py $(BENCH_ARGS)

# The batching writer under a few million points while the server restarts twice.
soak: system-deps venv
	$(BIN)/python benchmarks/soak.py $(SOAK_ARGS)

lint: venv
	$(BIN)/ruff check influxkit tests examples benchmarks
	$(BIN)/mypy

# The documentation site, into site/: warnings are errors.
docs: venv
	$(BIN)/mkdocs build --strict --site-dir site

system-deps:
	@missing=""; \
	command -v influxd >/dev/null 2>&1 || missing="$$missing influxdb"; \
	command -v $(PYTHON) >/dev/null 2>&1 || missing="$$missing python3"; \
	$(PYTHON) -c 'import ensurepip, venv' >/dev/null 2>&1 || missing="$$missing python3-venv"; \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages:$$missing"; \
		$(APT) update -q && $(APT) install -y -q --no-install-recommends $$missing ca-certificates; \
	fi

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $@

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
