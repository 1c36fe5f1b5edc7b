# Two commands for a newcomer: `make run` and `make test`. Everything else is optional.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 3000
HOST ?= 127.0.0.1

.PHONY: run test lint demo migrations migrations-check bench faults mutate screenshots clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt constraints.txt | $(VENV)/bin/python
	$(PY) -m pip install --quiet -r requirements.txt -c constraints.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt constraints.txt $(VENV)/.runtime
	$(PY) -m pip install --quiet -r requirements-dev.txt -c constraints.txt
	touch $@

## Serve the app on PORT (default 3000) with SQLite and the in-memory channel layer.
run: $(VENV)/.runtime
	DEBUG=$${DEBUG:-1} $(PY) manage.py migrate --noinput
	DEBUG=$${DEBUG:-1} $(PY) -m attendance_project.serve -b $(HOST) -p $(PORT) attendance_project.asgi:application

## Run the whole test suite.
test: $(VENV)/.dev
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

## Demo teacher, students and classes (prints the logins).
demo: $(VENV)/.runtime
	DEBUG=$${DEBUG:-1} $(PY) manage.py migrate --noinput
	DEBUG=$${DEBUG:-1} $(PY) manage.py seed_demo

## Regenerate both migration sets (SQL, and MongoDB offline).
migrations: $(VENV)/.runtime
	DEBUG=1 MONGO_URI= DATABASE_URL= $(PY) manage.py makemigrations accounts classes live
	DEBUG=1 MONGO_URI=mongodb://offline.invalid/attendance MONGO_OFFLINE=1 $(PY) manage.py makemigrations admin auth contenttypes sessions accounts classes live

## Fail when either migration set is out of date.
migrations-check: $(VENV)/.runtime
	DEBUG=1 MONGO_URI= DATABASE_URL= $(PY) manage.py makemigrations --check --dry-run accounts classes live
	DEBUG=1 MONGO_URI=mongodb://offline.invalid/attendance MONGO_OFFLINE=1 $(PY) manage.py makemigrations --check --dry-run admin auth contenttypes sessions accounts classes live

## Benchmarks (about 10 minutes, needs redis-server; starts its own): writes docs/benchmarks.md and .json.
bench: $(VENV)/.dev
	$(PY) -m bench.run

## Every fault-injection scenario, the slow ones (marked `faults`, skipped by `make test`) included.
faults: $(VENV)/.dev
	RUN_FAULTS=1 $(PY) -m pytest -p no:cacheprovider tests/faults $(PYTEST_ARGS)

## Mutation testing of the domain modules (about 25 minutes): writes docs/mutation.md.
mutate: $(VENV)/.dev
	$(PY) -m tools.mutate

## Retake the README screenshots (needs Chromium).
screenshots: $(VENV)/.dev
	$(PY) docs/screenshots/take.py

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
