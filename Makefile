# Guardrail: the two commands a newcomer needs are `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
FLASK := $(BIN)/flask --app lms

.PHONY: run test test-sqlite test-postgresql lint venv system-packages system-packages-test clean \
	translations translations-update

$(BIN)/.installed: requirements.txt requirements-dev.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $@

venv: $(BIN)/.installed

system-packages:
	@scripts/system-packages.sh run

system-packages-test:
	@scripts/system-packages.sh test

## translations: compile each language's catalog (translations/<locale>/LC_MESSAGES/messages.po)
## to the .mo Flask-Babel reads, when the .po is newer; .mo files are build output, not in git
MO_FILES := $(patsubst %.po,%.mo,$(wildcard translations/*/LC_MESSAGES/messages.po))
# The gettext names the Python code uses beside pybabel's defaults (_, gettext, ngettext, N_).
BABEL_KEYWORDS := -k _l -k lazy_gettext -k lazy_ngettext:1,2
# pybabel skips folders starting with "_" unless told otherwise: templates/_macros and _partials
# hold strings too.
BABEL_IGNORE_DIRS := .* __pycache__ node_modules

translations/%/LC_MESSAGES/messages.mo: translations/%/LC_MESSAGES/messages.po | $(BIN)/.installed
	$(BIN)/pybabel compile --statistics -l $* -i $< -o $@

translations: $(MO_FILES)

## translations-update: extract every marked string and merge it into each catalog (new
## strings arrive empty, changed ones fuzzy: translate them, see docs/translating.md)
translations-update: venv
	$(BIN)/pybabel extract -F babel.cfg $(BABEL_KEYWORDS) --ignore-dirs="$(BABEL_IGNORE_DIRS)" \
	  --add-location=file --sort-output --no-wrap --project Guardrail -o translations/messages.pot .
	$(BIN)/pybabel update -i translations/messages.pot -d translations --no-wrap \
	  --ignore-obsolete

## run: install what is missing, migrate SQLite, load the catalog, seed the demo, serve
## (the scheduler runs as its own process beside gunicorn and stops when gunicorn does)
run: venv system-packages translations
	@export LMS_DEMO=1; \
	$(FLASK) db upgrade && \
	$(FLASK) content sync && \
	$(FLASK) demo seed || exit 1; \
	$(FLASK) scheduler run & scheduler=$$!; \
	trap 'kill -TERM $$scheduler 2>/dev/null; wait $$scheduler' EXIT; \
	echo && echo "Guardrail is running at http://127.0.0.1:$(PORT)  (Ctrl-C stops it)" && echo; \
	$(BIN)/gunicorn --workers 2 --threads 4 --bind 127.0.0.1:$(PORT) \
	  --access-logfile - 'lms:create_app()'

lint: venv
	$(BIN)/ruff check .

# The OpenID Connect tests sign in against a real provider (Node's oidc-provider).
tests/oidc/node_modules/.installed: tests/oidc/package.json tests/oidc/package-lock.json
	cd tests/oidc && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# The accessibility browser tests inject axe-core (from npm) into every page.
tests/e2e/node_modules/.installed: tests/e2e/package.json tests/e2e/package-lock.json
	cd tests/e2e && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

## test: the whole suite on SQLite, then on a throwaway PostgreSQL database
test: venv system-packages-test tests/oidc/node_modules/.installed \
      tests/e2e/node_modules/.installed lint translations
	@scripts/ensure-postgres.sh
	$(MAKE) --no-print-directory test-sqlite
	$(MAKE) --no-print-directory test-postgresql

test-sqlite:
	LMS_TEST_DB=sqlite $(BIN)/pytest -q

test-postgresql:
	LMS_TEST_DB=postgresql $(BIN)/pytest -q

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache
