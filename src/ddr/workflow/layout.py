"""Every path of the DAG, spelled once: data/<profile>/... and results/<profile>/....

Why a module: the Snakemake rules, the job code, the tests and the notebooks name the same files; each asks a
`Layout` built from the config's `results_dir` and `data_dir`, so a path changes in one place and the paper profile is
planned from the config alone (no data, no torch). Arguments may be Snakemake wildcard patterns ("{dataset}") as
well as values: every method only formats strings.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

TABLE_SUFFIXES = (".csv", ".md", ".tex", ".provenance.json")
FIGURE_SUFFIXES = (".png", ".pdf", ".provenance.json")
RESTORATION_TABLE_SUFFIXES = (".csv", ".md", ".tex")  # the restoration tables carry their provenance inside
RESTORATION_FIGURE_SUFFIXES = (".png", ".pdf")
PROVENANCE = ".provenance.json"


def table_files(stem: str) -> list[str]:
    return [f"{stem}{suffix}" for suffix in TABLE_SUFFIXES]


def figure_files(stem: str) -> list[str]:
    return [f"{stem}{suffix}" for suffix in FIGURE_SUFFIXES]


def provenance(path: str) -> str:
    """The provenance record written next to a result file."""
    return f"{path}{PROVENANCE}"


@dataclass(frozen=True)
class Layout:
    """Paths of one profile (relative to the repository, as the rules use them)."""

    results: str
    data: str = "data"

    def __post_init__(self):
        object.__setattr__(self, "results", self.results.rstrip("/"))
        object.__setattr__(self, "data", self.data.rstrip("/"))

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Layout:
        return cls(config["results_dir"], config.get("data_dir", "data"))

    # folders ---------------------------------------------------------------------------------------------------
    @property
    def tables(self) -> str:
        return f"{self.results}/tables"

    @property
    def figures(self) -> str:
        return f"{self.results}/figures"

    @property
    def logs(self) -> str:
        return f"{self.results}/logs"

    @property
    def benchmarks(self) -> str:
        return f"{self.results}/benchmarks"

    @property
    def restoration(self) -> str:
        return f"{self.results}/restoration"

    # data --------------------------------------------------------------------------------------------------------
    def labels(self, dataset: str) -> str:
        return f"{self.data}/labels/{dataset}.csv"

    @property
    def mini_root(self) -> str:
        """The embedded mini set, built offline (ddr.data.mini)."""
        return f"{self.data}/mini"

    def mini_manifest(self) -> str:
        return f"{self.mini_root}/manifest.json"

    def download_record(self, dataset: str) -> str:
        return f"{self.data}/raw/{dataset}.ready.json"

    def ready_marker(self, dataset: str) -> str:
        """What proves a dataset is complete: the mini manifest, or the download rule's record."""
        return self.mini_manifest() if dataset == "mini" else self.download_record(dataset)

    def restoration_pairs(self, task: str, dataset: str) -> str:
        return f"{self.data}/restoration/{task}/{dataset}/pairs.csv"

    # weights and feature cache -----------------------------------------------------------------------------------
    def weights(self, encoder: str) -> str:
        """The weights record of a CLIP encoder tag ('arch+tag', see ddr.backbones.spec.BackboneSpec.tag)."""
        return f"{self.results}/weights/{encoder}.json"

    def feature_shard(self, dataset: str, encoder: str, shard, n) -> str:
        return f"{self.results}/features/{dataset}/{encoder}/shard-{shard}-of-{n}.pt"

    def directions(self, dataset: str, backbone: str) -> str:
        return f"{self.results}/directions/{dataset}/{backbone}.pt"

    # per-image scores --------------------------------------------------------------------------------------------
    def scores(self, dataset: str, name: str) -> str:
        return f"{self.results}/scores/{dataset}/{name}.csv"

    def ddr(self, dataset: str, encoder: str) -> str:
        return self.scores(dataset, f"ddr_{encoder}")

    def pddr(self, dataset: str, backbone: str) -> str:
        return self.scores(dataset, f"pddr_{backbone}")

    def iddr(self, dataset: str, backbone: str) -> str:
        """DDR with image-defined directions (extension of the paper) on `backbone`'s pixel-domain feature cache."""
        return self.scores(dataset, f"iddr_{backbone}")

    def real_weights(self, config: Mapping[str, Any], dataset: str) -> list[str]:
        """[pddr, iddr] score files of the real-weights rows (pixel backbone without a text tower), else []."""
        backbone = config["pixel"]["backbone"]
        return [] if backbone == "clip" else [self.pddr(dataset, backbone), self.iddr(dataset, backbone)]

    def baseline(self, dataset: str, baseline: str) -> str:
        return self.scores(dataset, f"baseline_{baseline}")

    def baseline_shard(self, dataset: str, baseline: str, shard, n) -> str:
        return f"{self.results}/baselines/{dataset}/{baseline}/shard-{shard}-of-{n}.csv"

    # BIQA, attributes, feature statistics ------------------------------------------------------------------------
    def evaluation(self, dataset: str) -> str:
        return f"{self.results}/biqa/{dataset}/evaluation.csv"

    def attributes(self, dataset: str) -> str:
        return f"{self.results}/attributes/{dataset}.csv"

    def attribute_shard(self, dataset: str, shard, n) -> str:
        return f"{self.results}/attributes/{dataset}/shard-{shard}-of-{n}.csv"

    def featstats_shard(self, dataset: str, shard, n) -> str:
        return f"{self.results}/featstats/{dataset}/shard-{shard}-of-{n}.csv"

    # restoration -------------------------------------------------------------------------------------------------
    def restoration_train_dir(self, run_key: str) -> str:
        return f"{self.restoration}/runs/{run_key}"

    def restoration_eval_dir(self, run_key: str) -> str:
        return f"{self.restoration}/eval/{run_key}"

    def restoration_input_dir(self, task: str, dataset: str) -> str:
        """The metrics of the degraded inputs themselves (the 'input' rows of Tables 4 and 5)."""
        return f"{self.restoration}/input/{task}/{dataset}"

    def restoration_input_summary(self, task: str, dataset: str) -> str:
        return f"{self.restoration_input_dir(task, dataset)}/summary.json"

    # DVC view and notebooks -------------------------------------------------------------------------------------
    def dvc_metrics(self) -> str:
        return f"{self.results}/dvc/metrics.json"

    def dvc_curves(self) -> str:
        return f"{self.results}/dvc/training_curves.csv"

    def notebook(self, name: str) -> str:
        return f"{self.results}/notebooks/{name}.ipynb"

    # tables and figures ------------------------------------------------------------------------------------------
    def table(self, stem: str) -> list[str]:
        """A BIQA/descriptor table's files: CSV first, then Markdown, LaTeX, provenance."""
        return table_files(f"{self.tables}/{stem}")

    def figure(self, stem: str) -> list[str]:
        """A BIQA/descriptor figure's files: PNG first, then PDF, provenance."""
        return figure_files(f"{self.figures}/{stem}")

    def restoration_table(self, stem: str) -> list[str]:
        return [f"{self.tables}/{stem}{suffix}" for suffix in RESTORATION_TABLE_SUFFIXES]

    def restoration_figure(self, stem: str) -> list[str]:
        return [f"{self.figures}/{stem}{suffix}" for suffix in RESTORATION_FIGURE_SUFFIXES]
