# The two commands a new machine needs: `make demo` and `make test`. Each creates what it needs.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: install chromium prometheus demo test bench lint simulate clean

install: $(STAMP)

# Rebuilt only when pyproject.toml changes, so a second `make install` takes no time.
$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "aoai-watch needs Python 3.11 or newer; found " + sys.version.split()[0])'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

demo: install
	$(VENV)/bin/aoai-watch demo

test: install chromium prometheus
	$(PY) -m pytest

# The browser tests drive Debian's chromium through Playwright (Playwright cannot download browsers here).
chromium:
	@command -v chromium >/dev/null || { echo "installing Debian's chromium for the browser tests"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium >/dev/null; }

# The Prometheus tests run Debian's promtool (in the prometheus package) on real scrapes and the generated rules.
prometheus:
	@command -v promtool >/dev/null || { echo "installing Debian's prometheus (for promtool) for the Prometheus tests"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq --no-install-recommends prometheus >/dev/null; }

# Benchmarks compare against a baseline measured in the same run and print the ratio.
bench: install chromium
	@command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk >/dev/null)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev,bench]'
	$(PY) -m bench

# mypy reads the packages by their installed names: a tree of links, aoai_watch/<folder> -> <folder>
MYPY_TREE := $(VENV)/mypy-tree
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	@mkdir -p $(MYPY_TREE)/aoai_watch
	@for d in failover probes chaos app alerts; do ln -sfn $(CURDIR)/$$d $(MYPY_TREE)/aoai_watch/$$d; done
	MYPYPATH=$(MYPY_TREE) $(VENV)/bin/mypy -p aoai_watch.failover -p aoai_watch.probes -p aoai_watch.alerts

simulate: install
	$(VENV)/bin/aoai-watch simulate --regions eastus2,swedencentral

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .ruff_cache
