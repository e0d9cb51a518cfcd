"""Stage functions the Snakemake rules call (one module per stage); all logic lives here, rules stay thin."""
