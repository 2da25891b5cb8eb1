# Every target sets up what it needs: a fresh machine only needs python3 and make.
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
SAMENV := .venv-sam
SAM    := $(SAMENV)/bin/sam
# The browser tests drive Debian's chromium: Playwright's own browser download is not available.
CHROMIUM := /usr/bin/chromium
SUDO   := $(if $(filter 0,$(shell id -u)),,sudo)

.PHONY: run test bench openapi lint format deploy

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q -U pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

# SAM CLI pins its own boto3 and friends: it lives in its own environment.
$(SAM):
	python3 -m venv $(SAMENV)
	$(SAMENV)/bin/pip install -q -U pip
	$(SAMENV)/bin/pip install -q aws-sam-cli

$(CHROMIUM):
	$(SUDO) apt-get update -q
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q chromium

run: $(STAMP)
	$(PY) -m devstack $(ARGS)

# The three installs wait on downloads and disk, not on each other: they run side by side.
test:
	$(MAKE) -j3 $(STAMP) $(SAM) $(CHROMIUM)
	$(PY) -m pytest -n 2 --dist loadgroup $(ARGS)

bench: $(STAMP)
	$(PY) -m bench $(ARGS)

# sam build needs the runtime's python3.12 on PATH: found on PATH, in pyenv or by uv, else one line says how.
deploy: $(SAM)
	@dir=$$(python3 -m scripts.find_python 3.12) || exit 1; \
	PATH="$$dir:$$PATH" $(SAM) build && PATH="$$dir:$$PATH" $(SAM) deploy $(ARGS)

openapi: $(STAMP)
	$(PY) -m scripts.openapi > openapi.json

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/cfn-lint template.yaml

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .
