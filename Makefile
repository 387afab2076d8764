# Kommunallotse: `make run` sets up everything and starts the assistant; `make test` tests it.
SHELL := /bin/bash
CORE := .venv-core/bin
RASA := .venv-rasa/bin
export PYTHONPATH := $(CURDIR)

.PHONY: run setup train test test-unit test-rasa test-integration lint bench lock clean

run: setup
	bash scripts/run.sh

setup:
	bash scripts/setup.sh

train: setup

lint: setup
	$(CORE)/ruff check bot actions tests bench

test: setup lint
	$(CORE)/python -m pytest -q -m "not integration" tests
	$(MAKE) --no-print-directory test-rasa
	$(CORE)/python -m pytest -q -m integration tests

test-rasa:
	$(RASA)/rasa data validate --quiet
	$(RASA)/rasa test core --stories tests/stories --model models/rasa/current.tar.gz \
	  --fail-on-prediction-errors --out var/rasa-test-results

bench: setup
	$(CORE)/python bench/run_all.py

lock:
	bash scripts/lock.sh

clean:
	rm -rf models/rasa models/typology models/spacy-de models/spacy-de-rasa var .venv-core .venv-rasa
