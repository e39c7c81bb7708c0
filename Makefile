# SIM Agent Watch. `make run` serves the app; `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
MANAGE := $(BIN)/python manage.py
HOST ?= 127.0.0.1:8000

.PHONY: port-free run test lint format setup migrate seed worker beat bench load messages clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

setup: $(VENV)/.installed

migrate: setup
	$(MANAGE) migrate --noinput

seed: migrate
	$(MANAGE) seed_demo --url http://$(HOST)/

# Before anything is migrated or seeded: is the port `make run` will serve on free?
port-free:
	@$(PYTHON) -c "import socket, sys; host, port = '$(HOST)'.rsplit(':', 1); s = socket.socket(); \
	s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); \
	sys.exit(0 if s.connect_ex((host, int(port))) != 0 else 'Port ' + port + ' on ' + host + ' is in use: stop what serves there, or run make run HOST=127.0.0.1:8001')"

# The web server in the foreground and, beside it, a Celery worker with beat embedded (-B): imports,
# "Run now" and the nightly chain go through the queue as in production (Redis when REDIS_URL is set,
# else files under var/celery/). The worker stops when the web server does (Ctrl-C).
# One task at a time on SQLite (it has one writer: two long jobs would only wait on each other's lock).
WORKER_CONCURRENCY ?= $(if $(DATABASE_URL),2,1)
run: port-free seed
	@echo "Serving on http://$(HOST)/ (sign in with a demo user printed above); a worker runs beside it"
	@# The worker is started again if it ever exits (a crash, a lost broker): a supervisor's job in production.
	@( trap 'kill $$c 2>/dev/null; wait $$c; exit 0' INT TERM; \
	   while :; do \
	     $(BIN)/celery -A config worker -B --schedule=var/celerybeat-schedule \
	       --concurrency=$(WORKER_CONCURRENCY) --loglevel=INFO & c=$$!; wait $$c; \
	     echo "The worker stopped; starting it again in 2 s."; sleep 2; \
	   done ) & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker' EXIT; trap 'exit 130' INT TERM; \
	$(MANAGE) runserver $(HOST)

test: setup
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(MANAGE) makemigrations --check --dry-run
	$(MANAGE) check

format: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Every benchmark, ending with one table of issue 15's targets. Every target at 1M and 10M in one run (about
# 3 hours on 2 cores): make bench BENCH_ARGS="--sizes 1M,10M"; add --plan to print the estimates only.
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/sim_agent_watch_bench
bench: setup
	psql "$(BENCH_DATABASE_URL)" -c "select 1" >/dev/null 2>&1 || createdb -h 127.0.0.1 -U postgres $(lastword $(subst /, ,$(BENCH_DATABASE_URL)))
	DATABASE_URL="$(BENCH_DATABASE_URL)" $(BIN)/python bench/run.py $(BENCH_ARGS)

# The load scenario of issue 11: gunicorn (2 workers) on the bench database, locust with 50 users.
load: setup
	$(BIN)/python -m pip install --quiet -r bench/requirements.txt
	psql "$(BENCH_DATABASE_URL)" -c "select 1" >/dev/null 2>&1 || createdb -h 127.0.0.1 -U postgres $(lastword $(subst /, ,$(BENCH_DATABASE_URL)))
	DATABASE_URL="$(BENCH_DATABASE_URL)" $(BIN)/python bench/load/run.py $(LOAD_ARGS)

worker: setup
	$(BIN)/celery -A config worker --loglevel=INFO

beat: setup
	$(BIN)/celery -A config beat --loglevel=INFO --schedule=var/celerybeat-schedule

messages: setup
	$(MANAGE) makemessages -l vi --ignore=.venv --ignore=var
	$(MANAGE) compilemessages --ignore=.venv

clean:
	rm -rf $(VENV) var/staticfiles .pytest_cache
