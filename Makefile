# The two commands: `make run` and `make test`. Nothing but Python 3.11 is needed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: run test install migrate seed messages lint bench check-deploy clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

messages: install
	$(BIN)/python -m socialops.i18n

migrate: install messages
	$(BIN)/python manage.py migrate --noinput

seed: migrate
	$(BIN)/python manage.py seed_demo

## make run: install, migrate, seed the demo organization, start web + worker + beat.
## The address is 127.0.0.1:8000 unless PORT (or SOCIALOPS_HOST) says otherwise. The Procfile reads
## SOCIALOPS_HOST/SOCIALOPS_PORT, never PORT: honcho hands each process its own PORT (5000, …),
## which would make the server listen somewhere else than the address printed here.
RUN_HOST := $(or $(SOCIALOPS_HOST),127.0.0.1)
RUN_PORT := $(or $(SOCIALOPS_PORT),$(PORT),8000)

##   The mail catcher (/dev/mail/, DEBUG only) starts empty: it lists the e-mails of this run.
run: seed
	@$(BIN)/python -c "import socket,sys; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); \
	r=s.connect_ex(('$(RUN_HOST)', $(RUN_PORT))); s.close(); \
	sys.exit('\n  Port $(RUN_PORT) on $(RUN_HOST) is already in use (another make run?). Stop it, or choose another port: PORT=8001 make run\n' if r == 0 else 0)"
	@rm -rf "$${EMAIL_FILE_PATH:-$${SOCIALOPS_VAR_DIR:-var}/mail}"
	@echo ""
	@echo "  SocialOps is starting on http://$(RUN_HOST):$(RUN_PORT)/  (Ctrl-C stops web, worker and beat)"
	@echo "  E-mails it sends (approval links, invitations) are listed at http://$(RUN_HOST):$(RUN_PORT)/dev/mail/"
	@echo ""
	SOCIALOPS_HOST=$(RUN_HOST) SOCIALOPS_PORT=$(RUN_PORT) SITE_URL=$${SITE_URL:-http://$(RUN_HOST):$(RUN_PORT)} \
		$(BIN)/honcho start -f Procfile

## TEST_WORKERS: pytest-xdist processes (0 runs in this process). Three on the 2-core CI machine: a
## good part of the suite waits on browsers, live servers and subprocesses rather than the CPU. The
## tests that take minutes are collected first (tests/conftest.py), longest first, and idle workers
## steal queued tests from busy ones (--dist worksteal), so no worker runs a long tail alone.
TEST_WORKERS ?= 3

## make test: lint, import contracts, migrations check, then the whole suite (SQLite, or DATABASE_URL).
test: install messages
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/python -m pytest -p no:randomly -n $(TEST_WORKERS) --dist worksteal $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

## make bench: one table of figures. The scheduler's are for the real stack (celery worker + beat):
##   DATABASE_URL=postgres://postgres@127.0.0.1:5432/socialops_bench REDIS_URL=redis://127.0.0.1:6379/1 make bench
## Without them (SQLite, no broker) it runs in-process at a smoke size. Details: bench/publishing.py.
bench: install messages
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) var staticfiles
