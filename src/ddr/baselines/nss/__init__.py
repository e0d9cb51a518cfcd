"""The natural-scene-statistics baselines, ports of their MATLAB releases: BRISQUE, NIQE, IL-NIQE, PIQE, and the
statistics they share (MSCN coefficients, GGD / AGGD fits)."""
