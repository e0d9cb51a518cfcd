# The two commands a newcomer needs (each creates the environment first if it is missing or stale):
#   make reproduce   # the main job: the whole DAG on the default (embedded mini) profile
#   make test        # the test suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CORES ?= all

.PHONY: reproduce test env paper paper-replica clean-results

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[workflow,test]'
	touch $(STAMP)

env: $(STAMP)

reproduce: $(STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/snakemake --cores $(CORES)

test: $(STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m pytest

paper: $(STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/snakemake --cores $(CORES) --configfile config/paper.yaml

# the paper DAG end to end on tiny release replicas served from 127.0.0.1 (stand-in numbers; see config/paper-replica.yaml)
paper-replica: $(STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m ddr.data.replica_run --cores $(CORES)

clean-results:
	rm -rf results/mini .snakemake/incomplete
