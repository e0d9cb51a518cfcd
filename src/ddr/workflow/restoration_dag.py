"""File names of the restoration stage and the input functions its rules use (workflow/rules/restoration.smk).

Kept out of the Snakefile so the rules file holds rules only, and so the layout can be tested without Snakemake.
Everything is computed from the config: the paper profile is planned without its data.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

from ddr.workflow.artifacts import artifact
from ddr.workflow.layout import Layout

from ddr.workflow import restoration_plan as plan

# the restoration tables by the key the report writer uses -> their declaration in ddr.workflow.artifacts
TABLE_ARTIFACTS = {"table4": "table4", "table5": "table5", "table6": "table6", "runs": "restoration_runs"}
TABLE_STEMS = {key: artifact(artifact_id).stems[0] for key, artifact_id in TABLE_ARTIFACTS.items()}


class RestorationDAG:
    def __init__(self, rcfg: Mapping[str, Any] | None, clip_cfg: Mapping[str, Any], results: str, data: str):
        self.cfg = dict(rcfg or {"enabled": False})
        self.enabled = bool(self.cfg.get("enabled"))
        self.clip = clip_cfg
        self.results, self.data = results, data
        self.layout = Layout(results, data)
        self.dir = self.layout.restoration

    def check(self) -> None:
        if self.enabled:
            plan.check_config(self.cfg)

    # runs and their files --------------------------------------------------------------------------------------
    @staticmethod
    def run(wildcards) -> plan.Run:
        return plan.Run(wildcards.task, wildcards.dataset, wildcards.network, wildcards.loss, wildcards.variant,
                        int(wildcards.seed))

    def run_dict(self, wildcards) -> dict:
        return asdict(self.run(wildcards))

    def runs(self) -> list[plan.Run]:
        return plan.all_runs(self.cfg) if self.enabled else []

    def task_datasets(self) -> list[tuple[str, str]]:
        return plan.task_datasets(self.cfg) if self.enabled else []

    def pairs_csv(self, task: str, dataset: str) -> str:
        return self.layout.restoration_pairs(task, dataset)

    def pairs_of(self, wildcards) -> str:
        return self.pairs_csv(wildcards.task, wildcards.dataset)

    def pairs_source(self, wildcards) -> str:
        if wildcards.dataset == "mini":
            return self.layout.mini_manifest()
        return self.layout.labels(wildcards.dataset)

    def pair_options(self, wildcards) -> dict:
        """Only what changes the pairs (not the metrics), so a new crop border retrains nothing."""
        options = plan.protocol(self.cfg, wildcards.dataset)
        return {k: options[k] for k in ("variant", "scale", "upsample") if k in options}

    def ddr_weights(self, wildcards) -> list[str]:
        run = self.run(wildcards)
        if not plan.uses_ddr(run):
            return []
        return [self.layout.weights(plan.ddr_encoder(self.cfg, run.variant, self.clip))]

    def settings(self, wildcards) -> dict:
        return plan.variant_settings(self.cfg, wildcards.variant)

    def schedule(self, wildcards) -> dict:
        """The run's schedule as a wildcards-only param, so Snakemake sees a changed schedule and retrains
        (params that need input/output are evaluated too late for its change detection)."""
        return plan.schedule(self.cfg, wildcards.network)

    def recipe(self, wildcards) -> dict:
        return plan.recipe(self.cfg)

    def train_config(self, wildcards, input, output) -> dict:  # noqa: A002 - Snakemake's argument name
        return plan.train_config(self.cfg, self.run(wildcards), input.pairs, output.model.rsplit("/", 1)[0])

    def eval_options(self, wildcards) -> dict:
        return plan.eval_options(self.cfg, wildcards.network)

    def protocol(self, wildcards) -> dict:
        return plan.protocol(self.cfg, wildcards.dataset)

    def saved_images(self, wildcards) -> list[int]:
        return plan.figure_image_indices(self.cfg, wildcards.task, wildcards.dataset)

    def resource(self, kind: str, key: str, default: int) -> int:
        return int(self.cfg.get("resources", {}).get(kind, {}).get(key, default))

    def eval_summary(self, run: plan.Run) -> str:
        return f"{run.eval_dir(self.results)}/summary.json"

    def input_summary(self, task: str, dataset: str) -> str:
        return self.layout.restoration_input_summary(task, dataset)

    # tables ------------------------------------------------------------------------------------------------------
    def table_keys(self) -> list[str]:
        """The restoration tables this config plans ('table4' with a deblurring task, 'table5' with an SR task)."""
        if not self.enabled:
            return []
        return [key for key, artifact_id in TABLE_ARTIFACTS.items() if artifact(artifact_id).planned(
            {"restoration": self.cfg})]

    def table_jobs(self) -> dict[str, str]:
        """Per planned table key, the stem its files are written to (the writer adds its _paper_vs_ours copy)."""
        return {key: artifact(TABLE_ARTIFACTS[key]).stem_paths(self.layout)[0] for key in self.table_keys()}

    def table_stems(self) -> list[str]:
        return [stem for key in self.table_keys() for stem in artifact(TABLE_ARTIFACTS[key]).stems]

    def table_outputs(self) -> list[str]:
        return [f for key in self.table_keys() for f in artifact(TABLE_ARTIFACTS[key]).files(self.layout)]

    def all_eval_summaries(self) -> list[str]:
        return [self.eval_summary(r) for r in self.runs()]

    def all_input_summaries(self) -> list[str]:
        return [self.input_summary(t, d) for t, d in self.task_datasets()]

    def table6_summaries(self) -> list[str]:
        if not self.enabled or not plan.ablation_variants(self.cfg):
            return []
        references = list(plan.ablation_reference_runs(self.cfg).values())
        return [self.eval_summary(r) for r in references + plan.ablation_runs(self.cfg)]

    # figures -----------------------------------------------------------------------------------------------------
    def figure_ids(self) -> list[str]:
        return sorted(self.cfg.get("figures", {})) if self.enabled else []

    def figure_outputs(self) -> list[str]:
        return [f for fig in self.figure_ids() for f in artifact(fig).files(self.layout)]

    def figure_jobs(self) -> dict[str, dict]:
        """Per figure: its config, runs, their evaluation summaries, the input summary and the pairs."""
        jobs = {}
        for fig in self.figure_ids():
            f = self.cfg["figures"][fig]
            runs = plan.figure_runs(self.cfg, fig)
            jobs[fig] = {"figure": f, "runs": [asdict(r) for r in runs],
                         "summaries": [self.eval_summary(r) for r in runs],
                         "input": self.input_summary(f["task"], f["dataset"]),
                         "pairs": self.pairs_csv(f["task"], f["dataset"]),
                         "stem": artifact(fig).stem_paths(self.layout)[0]}
        return jobs

    def figure_inputs(self, key: str) -> list[str]:
        jobs = self.figure_jobs().values()
        values = [v for job in jobs for v in (job[key] if isinstance(job[key], list) else [job[key]])]
        return sorted(set(values))

    def stage_targets(self) -> list[str]:
        return self.table_outputs() + self.figure_outputs() if self.enabled else []
