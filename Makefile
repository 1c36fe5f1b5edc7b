# Two commands for a newcomer: `make run` and `make test`. Everything else is optional.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 3000
HOST ?= 127.0.0.1

.PHONY: run test test-postgres stack k8s-validate lint demo migrations migrations-check bench bench-school faults mutate screenshots clean

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

## The database-facing suite on PostgreSQL (a server on 127.0.0.1:5432, user postgres, trust auth;
## pytest-django creates and drops the test_<name> database). Skips what never reaches this database:
## `server` and `browser` tests run real workers on their own SQLite file, and test pages and wire,
## not SQL (the fault tests among them are all `server` tests). DB_POOL_MAX=0: in-process
## tests run each test on a new event loop whose threads die with it, and a dead thread's pooled
## connection never returns to the pool; tests/realserver/test_postgres.py checks the pool on a
## real worker instead.
POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/attendance
test-postgres: $(VENV)/.dev
	DATABASE_URL=$(POSTGRES_URL) DB_POOL_MAX=0 $(PY) -m pytest -p no:cacheprovider -m "not server and not browser" $(PYTEST_ARGS)

## Caddy on PORT in front of WORKERS Daphne workers, Redis and one database, as deployed (needs caddy).
WORKERS ?= 3
stack: $(VENV)/.runtime
	$(PY) -m attendance_project.stack --workers $(WORKERS) --port $(PORT) --host $(HOST)

## Validate the Kubernetes manifests against the Kubernetes schemas (offline).
k8s-validate: $(VENV)/.dev
	$(VENV)/bin/kubernetes-validate --strict --quiet deploy/k8s/*.yaml

lint: $(VENV)/.dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

## Demo teacher, students and classes (prints the logins).
demo: $(VENV)/.runtime
	DEBUG=$${DEBUG:-1} $(PY) manage.py migrate --noinput
	DEBUG=$${DEBUG:-1} $(PY) manage.py seed_demo

## Regenerate both migration sets (SQL, and MongoDB offline).
migrations: $(VENV)/.runtime
	DEBUG=1 MONGO_URI= DATABASE_URL= $(PY) manage.py makemigrations accounts classes attendance
	DEBUG=1 MONGO_URI=mongodb://offline.invalid/attendance MONGO_OFFLINE=1 $(PY) manage.py makemigrations admin auth contenttypes sessions accounts classes attendance

## Fail when either migration set is out of date.
migrations-check: $(VENV)/.runtime
	DEBUG=1 MONGO_URI= DATABASE_URL= $(PY) manage.py makemigrations --check --dry-run accounts classes attendance
	DEBUG=1 MONGO_URI=mongodb://offline.invalid/attendance MONGO_OFFLINE=1 $(PY) manage.py makemigrations --check --dry-run admin auth contenttypes sessions accounts classes attendance

## Every benchmark (10 to 25 minutes; needs redis-server, and PostgreSQL for the school's two-worker runs):
## one class (docs/benchmarks.md and .json), then the school at 9:00 (docs/school-benchmark.md and .json).
bench: $(VENV)/.dev
	$(PY) -m bench.run
	$(PY) -m bench.school_run

## The school benchmark alone (5 to 15 minutes; needs redis-server, and PostgreSQL for its two-worker runs):
## 20 x 30 and 50 x 40 classes marking at once against an in-memory reference, then a reconnect storm (a worker
## killed under 1,000 sockets); writes docs/school-benchmark.md. BENCH_ARGS="--only reconnect": the storm alone.
bench-school: $(VENV)/.dev
	$(PY) -m bench.school_run $(BENCH_ARGS)

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
