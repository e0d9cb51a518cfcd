"""The restoration stage's jobs (Tables 4-6, Figures 5, 6, 8, 9, 10): train, evaluate, pairs and protocols, tables,
figures and their report text; what to run is planned in ddr.workflow.restoration_plan."""
