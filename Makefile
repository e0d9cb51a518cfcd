# The two commands a newcomer needs (each creates the environment first if it is missing or stale):
#   make reproduce   # the main job: the whole DAG on the default (embedded mini) profile
#   make test        # the test suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CORES ?= all
PROFILE ?= mini
# e.g. make report PROFILE=paper SNAKEFLAGS="--configfile config/paper.yaml"
SNAKEFLAGS ?=

.PHONY: reproduce test env paper paper-replica report lab clean-results

# pyproject.toml declares version ranges; constraints.txt holds the exact versions the project is tested with.
# pyiqa is installed without its own dependency list (transformers, datasets, bitsandbytes, ... serve its other
# metrics): the plugin test needs only pyiqa's registry and InferenceModel. basicsr likewise: the parity test reads
# its NIQE port's files (reference for ours) without importing the package.
$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[workflow,test]'
	$(BIN)/python -m pip install --quiet --no-deps -c constraints.txt pyiqa basicsr
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

# the Snakemake report (every table and figure with its caption) after bringing the results up to date
report: $(STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/snakemake --cores $(CORES) $(SNAKEFLAGS)
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/snakemake $(SNAKEFLAGS) --report results/$(PROFILE)/report.html

# JupyterLab on the notebooks; the executed copies (with outputs) are in results/<profile>/notebooks
lab: $(STAMP)
	DDR_RESULTS="$(CURDIR)/results/$(PROFILE)" PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/jupyter lab notebooks

clean-results:
	rm -rf results/mini .snakemake/incomplete
