"""Entry points into other tools' ecosystems (pyiqa); each module imports its tool only when used."""
