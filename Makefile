# The two commands: `make run` (install, build a demo warehouse if there is none, serve the app)
# and `make test` (install, run the tests). Settings come from the environment (core/settings.py).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# The DuckLake warehouse's environment (requirements-lake.txt: DuckDB 1.5.5 and its extensions)
LAKE_VENV := .venv-lake
LAKE_BIN := $(LAKE_VENV)/bin
WAREHOUSE_PATH ?= data/warehouse/eparticipation.duckdb
LANDING_DIR ?= data/landing/demo
DEMO_ROWS ?= 50000
APP_PORT ?= 8501
PUBLIC_SNAPSHOT_PATH ?= data/public
export WAREHOUSE_PATH LANDING_DIR DEMO_ROWS APP_PORT PUBLIC_SNAPSHOT_PATH

.PHONY: model settings run public public-app test lint format bench bench-lake demo install install-dev lake lock clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt $(VENV)/.runtime
	$(BIN)/pip install --quiet -r requirements.txt -r requirements-dev.txt
	touch $@

install: $(VENV)/.runtime
install-dev: $(VENV)/.dev

# `make lake`: the environment that runs the ETL and the app on a DuckLake (WAREHOUSE_URL); use its
# python and streamlit (.venv-lake/bin/...) for them.
$(LAKE_BIN)/python:
	$(PYTHON) -m venv $(LAKE_VENV)
	$(LAKE_BIN)/python -m pip install --quiet --upgrade pip

$(LAKE_VENV)/.dev: requirements.txt requirements-dev.txt requirements-lake.txt | $(LAKE_BIN)/python
	$(LAKE_BIN)/pip install --quiet -r requirements.txt -r requirements-dev.txt
	$(LAKE_BIN)/pip install --quiet -r requirements-lake.txt
	touch $@

lake: $(LAKE_VENV)/.dev

# A demo warehouse from generated exports, only when there is no warehouse yet.
demo: settings
	@if [ ! -f "$(WAREHOUSE_PATH)" ]; then \
	  if [ ! -d "$(LANDING_DIR)" ]; then \
	    $(BIN)/python -m etl generate --rows $(DEMO_ROWS) --out "$(LANDING_DIR)" --quiet; \
	  fi; \
	  $(BIN)/python -m etl run "$(LANDING_DIR)" --warehouse "$(WAREHOUSE_PATH)"; \
	fi
	@if [ ! -d "$(PUBLIC_SNAPSHOT_PATH)" ]; then \
	  $(BIN)/python -m etl publish --period last-quarter --warehouse "$(WAREHOUSE_PATH)" --out "$(PUBLIC_SNAPSHOT_PATH)"; \
	fi

# Every setting checked before anything starts: a wrong one is one line and exit code 2.
settings: $(VENV)/.runtime
	@$(BIN)/python -m core.settings

run: settings demo
	$(BIN)/streamlit run app.py --server.address 127.0.0.1 --server.port $(APP_PORT)

# The public site: the static site (PUBLIC_SNAPSHOT_PATH/site, rebuilt from the published
# snapshots; no warehouse) previewed on loopback. Production serves the folder with
# deploy/nginx/site.conf or any static host. Publish a period first.
SITE_PORT ?= 8600
public: settings
	$(BIN)/python -m etl site --out $(PUBLIC_SNAPSHOT_PATH)
	$(BIN)/python -m http.server $(SITE_PORT) --bind 127.0.0.1 --directory $(PUBLIC_SNAPSHOT_PATH)/site

# The public app: the Streamlit public page alone, from PUBLIC_SNAPSHOT_PATH; no warehouse, no error details,
# viewer toolbar, no usage statistics. Publish a period first: `python -m etl publish --period 2026-Q2`.
public-app: settings
	DASHBOARD_MODE=public $(BIN)/streamlit run app.py --server.address 0.0.0.0 --server.port $(APP_PORT) \
	  --client.showErrorDetails none --client.toolbarMode viewer --browser.gatherUsageStats false

# The whole suite on the default environment (DuckDB 2.0.1; the lake's tests skip there), then the
# lake's tests and the runs that line stages up by position on the lake's (DuckDB 1.5.5).
LAKE_TESTS := tests/test_lake.py tests/test_delta.py tests/test_settings.py
test: $(VENV)/.dev $(LAKE_VENV)/.dev
	$(BIN)/python -m pytest
	$(LAKE_BIN)/python -m pytest $(LAKE_TESTS)

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(VENV)/.dev
	$(BIN)/python -m bench
	$(BIN)/python -m bench.publish
	$(BIN)/python -m bench.model
	$(BIN)/python -m bench.delta
	$(BIN)/python -m bench.clusters
	$(BIN)/python -m bench --scaling 1000000,3000000,10000000
	@[ -x $(VENV)/lighthouse/node_modules/.bin/lighthouse ] || ! command -v npm >/dev/null \
	  || npm install --silent --no-audit --no-fund --prefix $(VENV)/lighthouse lighthouse@13.5.0 \
	  || echo "could not install npm's lighthouse: bench.site will skip it"
	$(BIN)/python -m bench.site --lighthouse $(VENV)/lighthouse/node_modules/.bin/lighthouse
	$(MAKE) bench-lake

# Issue 26's figures (the ETL into a lake, the app's copy of it, the pages on each) in the lake's
# environment: `python -m bench.lake all` on 1M varied records made for it.
bench-lake: $(LAKE_VENV)/.dev
	$(LAKE_BIN)/python -m bench.lake all --rows 1000000

# Train the sentiment model from ../shared/datasets (the public corpora and Sehhaty's dev half; about
# a minute, same bytes every time) into data/model/sentiment.npz, and print the model card's evaluation.
model: $(VENV)/.dev
	$(BIN)/python -m etl.train --evaluate

# Recompile the pinned requirements from the short lists of direct dependencies.
lock: $(VENV)/.dev
	$(BIN)/pip-compile --quiet --strip-extras --no-header --no-emit-index-url --no-emit-find-links \
	  requirements.in -o requirements.txt
	$(BIN)/pip-compile --quiet --strip-extras --no-header --no-emit-index-url --no-emit-find-links \
	  requirements-dev.in -o requirements-dev.txt

clean:
	rm -rf $(VENV) $(LAKE_VENV) .pytest_cache .ruff_cache
