"""Where a pipeline run's time went: Snakemake's per-job `benchmark:` files (results/<profile>/benchmarks/) summed
by stage, with the slowest jobs and the largest peak memory.

    python bench/pipeline_times.py results/mini/benchmarks
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd


def load(folder: Path) -> pd.DataFrame:
    """One row per job: its file (relative name), wall seconds, peak RSS (MB), CPU seconds."""
    rows = []
    for path in sorted(folder.rglob("*.tsv")):
        table = pd.read_csv(path, sep="\t")
        name = path.relative_to(folder).with_suffix("").as_posix()
        rows.append({"job": name, "stage": name.split("/")[0] if "/" in name else name.split("_")[0],
                     "seconds": table["s"].max(), "max_rss_mb": pd.to_numeric(table["max_rss"], errors="coerce").max(),
                     "cpu_seconds": pd.to_numeric(table.get("cpu_time"), errors="coerce").max()})
    if not rows:
        raise SystemExit(f"{folder}: no benchmark files (run the pipeline first)")
    return pd.DataFrame(rows)


def main(argv=None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", default="results/mini/benchmarks")
    parser.add_argument("--top", type=int, default=8)
    args = parser.parse_args(argv)
    jobs = load(Path(args.folder))
    stages = jobs.groupby("stage").agg(jobs=("job", "count"), seconds=("seconds", "sum"),
                                       cpu_seconds=("cpu_seconds", "sum"), max_rss_mb=("max_rss_mb", "max"))
    stages = stages.sort_values("cpu_seconds", ascending=False)
    stages["share"] = (100 * stages["seconds"] / stages["seconds"].sum()).round(0)
    text = (f"{len(jobs)} jobs, {jobs['seconds'].sum():.0f} job-seconds\n\nby stage:\n{stages.round(1).to_string()}"
            f"\n\nslowest jobs:\n{jobs.nlargest(args.top, 'seconds').round(1).to_string(index=False)}")
    print(text)
    return text


if __name__ == "__main__":
    main()
