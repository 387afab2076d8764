# Kommunallotse: `make run` sets up everything and starts the assistant; `make test` tests it.
SHELL := /bin/bash
CORE := .venv-core/bin
RASA := .venv-rasa/bin
export PYTHONPATH := $(CURDIR)

.PHONY: run setup test-tools train test test-rasa lint bench lock clean prod-up prod-down prod-status

run: setup
	bash scripts/run.sh

setup:
	bash scripts/setup.sh

# what the tests need besides the assistant: poppler, Chromium, axe-core, PostgreSQL, Redis, nginx, Synapse
test-tools:
	bash scripts/setup.sh --test-tools

train: setup

lint: setup
	$(CORE)/ruff check bot actions tests bench deploy channels nlu_components

test: test-tools lint
	$(CORE)/python -m pytest -q -m "not integration and not browser and not production and not channels" tests
	$(MAKE) --no-print-directory test-rasa
	$(CORE)/python -m pytest -q -m "integration or browser or production or channels" tests

test-rasa:
	$(RASA)/rasa data validate --quiet
	$(RASA)/rasa test core --stories tests/stories --model models/rasa/current.tar.gz \
	  --fail-on-prediction-errors --out var/rasa-test-results

prod-up: setup
	$(CORE)/python -m deploy.local start

prod-down:
	$(CORE)/python -m deploy.local stop

prod-status:
	$(CORE)/python -m deploy.local status

bench: setup test-tools
	$(CORE)/python bench/run_all.py

lock:
	bash scripts/lock.sh

clean:
	rm -rf models/rasa models/typology models/spacy-de models/spacy-de-rasa var .venv-core .venv-rasa .venv-matrix
