"""The restoration stage's jobs (Tables 4-6): train one run, evaluate one run, measure the degraded inputs.
What to run and with which config is planned in ddr.workflow.restoration_plan (light, no torch); this module runs it."""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from ddr.workflow.restoration_plan import (MAIN, RestorationConfigError, Run, loss_label, stand_in_records, term_weight,
                                           uses_ddr)


def build_ddr_model(weights_json: str | Path, settings: Mapping[str, Any]):
    """The DDR model of a run's loss term, on the CLIP weights record the pipeline resolved."""
    from ddr import DDR
    from ddr.pipeline.weights import backbone_from_record

    return DDR(backbone_from_record(weights_json), types=list(settings["types"]), adaptive=bool(settings["adaptive"]))


def _set_aside_stale_checkpoints(cfg: Mapping[str, Any]) -> str | None:
    """When Snakemake reruns a training because its parameters changed, the old checkpoints belong to another
    config and the library would refuse to resume from them: move them to checkpoints.superseded/ (replacing an
    older one) and say so. A killed run with the same config keeps its checkpoints and resumes."""
    import shutil

    import torch

    from ddr.restoration.checkpoint import latest_checkpoint
    from ddr.restoration.train import resume_mismatch, merge_config

    folder = Path(cfg["out_dir"]) / "checkpoints"
    latest = latest_checkpoint(folder)
    if latest is None:
        return None
    saved = torch.load(latest, map_location="cpu", weights_only=False)["config"]
    diff = resume_mismatch(saved, merge_config(cfg))
    if not diff:
        return None
    aside = folder.with_name("checkpoints.superseded")
    if aside.exists():
        shutil.rmtree(aside)
    folder.rename(aside)
    (Path(cfg["out_dir"]) / "log.csv").unlink(missing_ok=True)
    return f"checkpoints of a different config (keys {diff}) moved to {aside}; training restarts"


def train_run(run: Run, cfg: Mapping[str, Any], settings: Mapping[str, Any], summary_json: str | Path,
              weights_json: str | Path | None = None, recipe_info: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Train (or resume) one run from its `train_config`; write summary_json {run, settings, recipe, loss weights,
    config, train summary, wall time, stand-in records}. The DDR term's CLIP comes from the weights record
    `weights_json`."""
    import logging

    from ddr.util.atomic import write_json
    from ddr.util.provenance import provenance
    from ddr.restoration.train import train

    cfg = copy.deepcopy(dict(cfg))
    ddr_model = None
    if uses_ddr(run):
        if weights_json is None:
            raise RestorationConfigError(f"run {run.key} has a DDR term but no CLIP weights record was given")
        cfg["ddr"] = {**(cfg.get("ddr") or {}), "weights_record": json.loads(Path(weights_json).read_text())}
        ddr_model = build_ddr_model(weights_json, settings)
    note = _set_aside_stale_checkpoints(cfg)
    if note:
        logging.getLogger(__name__).warning(note)
    start = time.perf_counter()
    summary = train(cfg, ddr_model=ddr_model)
    wall = time.perf_counter() - start
    run_provenance = json.loads((Path(cfg["out_dir"]) / "provenance.json").read_text())
    records = stand_in_records(run_provenance.get("loss", {}))
    weights = {name: term_weight(value) for name, value in cfg["loss"].items()}
    result = {"run": asdict(run), "loss_label": loss_label(run.loss), "settings": dict(settings),
              "recipe": dict(recipe_info or {}), "loss_weights": weights, "config": cfg,
              "summary": summary, "wall_s": wall, "superseded": note, "stand_in_records": records,
              "provenance": provenance(stage="restoration-train", recipe=dict(recipe_info or {}), loss_weights=weights,
                                       **{k: run_provenance[k] for k in ("network", "loss", "amp", "device",
                                                                         "loss_fingerprint", "loss_precision")
                                          if k in run_provenance})}
    write_json(summary_json, result)
    return result


def evaluate_run(run: Run, weights: str | Path, train_json: str | Path, pairs_csv: str | Path,
                 out_dir: str | Path, options: Mapping[str, Any], dataset_protocol: Mapping[str, Any],
                 save_indices: Sequence[int] = ()) -> dict[str, Any]:
    """Restore the test split with a trained model (tiles / NAFNet-Local per `options`) and measure it per the
    dataset's protocol; keeps the PNGs of `save_indices` for the figures."""
    import torch

    from ddr.pipeline.restoration.protocols import measure_split
    from ddr.pipeline.runtime import device as pick_device
    from ddr.restoration.evaluate import load_trained
    from ddr.restoration.nafnet import NAFNet, set_local_pooling
    from ddr.restoration.tiling import infer_tiled

    dev = pick_device(options.get("device", "auto"))
    net, _ = load_trained(weights, dev)
    net.eval()
    if options.get("local_train_size"):
        if not isinstance(net, NAFNet):
            raise RestorationConfigError(f"restoration.eval.{run.network}.local_train_size applies to NAFNet only")
        set_local_pooling(net, int(options["local_train_size"]))

    def restore(x: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            out = infer_tiled(net, x[None].to(dev), options.get("tile"), int(options.get("overlap", 32)))
        return out[0].float().cpu()

    trained = json.loads(Path(train_json).read_text())
    return measure_split(pairs_csv, out_dir, dataset_protocol, restore, save_indices=save_indices,
                         max_images=dataset_protocol.get("max_test_images"),
                         extra={"run": asdict(run), "loss_label": loss_label(run.loss),
                                "settings": trained["settings"], "eval_options": dict(options),
                                "stand_in_records": trained["stand_in_records"], "train_wall_s": trained["wall_s"],
                                "recipe": trained.get("recipe", {}), "loss_weights": trained.get("loss_weights", {}),
                                "iterations": trained["config"]["iterations"]})


def evaluate_input(task: str, dataset: str, pairs_csv: str | Path, out_dir: str | Path,
                   dataset_protocol: Mapping[str, Any]) -> dict[str, Any]:
    """The degraded inputs measured like the outputs (the 'Input' rows and the input panels' PSNR)."""
    from ddr.pipeline.restoration.protocols import measure_split

    return measure_split(pairs_csv, out_dir, dataset_protocol, None, save_indices=[],
                         max_images=dataset_protocol.get("max_test_images"),
                         extra={"run": {"task": task, "dataset": dataset, "network": "input", "loss": "input",
                                        "variant": MAIN, "seed": -1},
                                "loss_label": "Input", "stand_in_records": []})
