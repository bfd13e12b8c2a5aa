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
##   The mail catcher (/dev/mail/, DEBUG only) starts empty: it lists the e-mails of this run.
run: seed
	@rm -rf "$${EMAIL_FILE_PATH:-$${SOCIALOPS_VAR_DIR:-var}/mail}"
	@echo ""
	@echo "  SocialOps is starting on http://$${HOST:-127.0.0.1}:$${PORT:-8000}/  (Ctrl-C stops web, worker and beat)"
	@echo "  E-mails it sends (approval links, invitations) are listed at http://$${HOST:-127.0.0.1}:$${PORT:-8000}/dev/mail/"
	@echo ""
	$(BIN)/honcho start -f Procfile

## make test: lint, import contracts, migrations check, then the whole suite (SQLite, or DATABASE_URL).
test: install messages
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/python -m pytest -p no:randomly $(PYTEST_ARGS)

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
