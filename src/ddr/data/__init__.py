"""Datasets: registry (src/ddr/resources/datasets.yaml), download/verify/extract, label parsers, the embedded mini set.

Submodules are imported explicitly (``from ddr.data import registry``) so that importing one of them does not
pull in the heavier dependencies (pandas, scipy, jsonschema) of the others.
"""
