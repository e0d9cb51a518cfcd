"""The workflow layer: what the Snakemake DAG needs to plan (config contract, path layout, the paper's artifacts, run
grids). Light by design: importable without torch, so planning a run never loads a network."""
