"""The BIQA stage's jobs: the tables (1, 3, 7 and their evaluation rows) and the descriptor figures (1, 2, 4, 7)."""
