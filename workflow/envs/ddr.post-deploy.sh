#!/usr/bin/env bash
# Run by Snakemake inside the new conda environment, from the workflow's working directory (the repository root).
set -euo pipefail
if ! grep -qs '^name = "deep-degradation-response"' pyproject.toml; then
    echo "ddr.post-deploy.sh: $(pwd) is not the DDR repository root; run snakemake --use-conda from there" >&2
    exit 1
fi
python -m pip install --quiet -c constraints.txt -e ".[workflow]"
