"""Training: resume after an interruption gives the same log; evaluation writes metrics and PNGs; CLIs."""
import csv
import json
import numpy as np
import pytest
import torch
from PIL import Image

from ddr.restoration.checkpoint import list_checkpoints
from ddr.restoration.evaluate import evaluate, load_trained
from ddr.restoration.evaluate import main as evaluate_main
from ddr.restoration.train import train


pytestmark = pytest.mark.usefixtures("one_torch_thread")  # tiny nets: threads only add overhead


@pytest.fixture(scope="module")
def deblur_set(tmp_path_factory):
    """A deblur-style pairs.csv (columns blur, sharp, split) with 4 train and 2 test pairs."""
    root = tmp_path_factory.mktemp("deblur")
    rng = np.random.default_rng(0)
    rows = []
    for i in range(6):
        split = "train" if i < 4 else "test"
        sharp = rng.random((3, 40, 48))
        sharp = np.stack([np.kron(c[::4, ::4], np.ones((4, 4))) for c in sharp])  # blocky: edges to restore
        blur = sum(np.roll(sharp, s, axis=2) for s in range(-2, 3)) / 5  # horizontal motion blur
        for kind, arr in (("sharp", sharp), ("blur", blur)):
            (root / split / kind).mkdir(parents=True, exist_ok=True)
            img = np.round(arr.transpose(1, 2, 0) * 255).astype(np.uint8)
            Image.fromarray(img).save(root / split / kind / f"{i:03d}.png")
        rows.append({"blur": f"{split}/blur/{i:03d}.png", "sharp": f"{split}/sharp/{i:03d}.png", "split": split})
    with open(root / "pairs.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=["blur", "sharp", "split"])
        w.writeheader()
        w.writerows(rows)
    return root / "pairs.csv"


def config(pairs, out_dir, **over):
    cfg = {"seed": 3, "network": "nafnet-tiny", "loss": {"psnr": 1.0, "pdl_pixel": 0.1},
           "data": {"pairs": str(pairs), "columns": {"input": "blur", "target": "sharp"}, "crop_size": 24,
                    "batch_size": 2},
           "iterations": 6, "out_dir": str(out_dir), "checkpoint_every": 3, "log_every": 1, "eval_every": 3,
           "progress": False}
    cfg.update(over)
    return cfg


def read_log(path):
    return path.read_text().splitlines()


class Killed(Exception):
    pass


def test_resume_after_interruption_reproduces_the_uninterrupted_log(deblur_set, tmp_path):
    straight = train(config(deblur_set, tmp_path / "straight"))
    assert straight["resumed_from"] == 0

    def die_at_4(it):  # a crash after iteration 4 was logged but before the next checkpoint (6)
        if it == 4:
            raise Killed

    with pytest.raises(Killed):
        train(config(deblur_set, tmp_path / "killed"), on_iteration=die_at_4)
    assert [i for i, _ in list_checkpoints(tmp_path / "killed" / "checkpoints")] == [3]
    assert len(read_log(tmp_path / "killed" / "log.csv")) == 1 + 4  # header + iterations 1..4

    resumed = train(config(deblur_set, tmp_path / "killed"))
    assert resumed["resumed_from"] == 3
    a, b = read_log(tmp_path / "straight" / "log.csv"), read_log(tmp_path / "killed" / "log.csv")
    assert a[0].split(",") == ["iter", "loss", "loss_psnr", "loss_pdl_pixel", "lr", "val_psnr", "val_ssim"]
    assert len(a) == 7 and a == b  # identical rows: losses, lr and validation metrics, bit for bit
    losses = [float(r.split(",")[1]) for r in a[1:]]
    assert len(set(losses)) == 6  # not a constant: the model really trained
    sa = torch.load(tmp_path / "straight" / "model_final.pt", weights_only=False)["model"]
    sb = torch.load(tmp_path / "killed" / "model_final.pt", weights_only=False)["model"]
    assert all(torch.equal(sa[k], sb[k]) for k in sa)
    val_rows = [r.split(",") for r in a[1:] if r.split(",")[5]]
    assert [int(r[0]) for r in val_rows] == [3, 6] and all(10 < float(r[5]) < 60 for r in val_rows)
    prov = json.loads((tmp_path / "straight" / "provenance.json").read_text())
    assert prov["stand_in"] is False and prov["loss"]["psnr"]["weight"] == 1.0


def test_training_with_the_ddr_term_uses_the_model_passed_in(deblur_set, tmp_path):
    class TinyDDR(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.enc = torch.nn.Conv2d(3, 4, 3)

        def loss(self, x):
            f = self.enc(x).mean(dim=(-2, -1))
            return -(1 - torch.cosine_similarity(f, f + 1.0, dim=1)).mean()

    cfg = config(deblur_set, tmp_path / "ddr", iterations=2, loss={"psnr": 1.0, "ddr": 0.05}, eval_every=0)
    with pytest.raises(ValueError, match="no 'ddr' section"):
        train(cfg)
    train(cfg, ddr_model=TinyDDR())
    rows = list(csv.DictReader(open(tmp_path / "ddr" / "log.csv")))
    assert len(rows) == 2 and all(float(r["loss_ddr"]) < 0 for r in rows)
    total = float(rows[0]["loss_psnr"]) + 0.05 * float(rows[0]["loss_ddr"])
    assert float(rows[0]["loss"]) == pytest.approx(total, rel=1e-6)


def test_resume_refuses_a_changed_config(deblur_set, tmp_path):
    train(config(deblur_set, tmp_path / "run", iterations=3))
    with pytest.raises(ValueError, match="different config"):
        train(config(deblur_set, tmp_path / "run", iterations=3, seed=4))


def test_training_lowers_the_loss_and_evaluation_writes_metrics_and_images(deblur_set, tmp_path):
    cfg = config(deblur_set, tmp_path / "run", iterations=40, loss={"psnr": 1.0}, eval_every=0,
                 checkpoint_every=40, log_every=10, optim={"lr": 3e-3})
    train(cfg)
    rows = list(csv.DictReader(open(tmp_path / "run" / "log.csv")))
    assert [int(r["iter"]) for r in rows] == [10, 20, 30, 40]
    net, _ = load_trained(tmp_path / "run" / "model_final.pt")
    out = tmp_path / "eval"
    df = evaluate(tmp_path / "run" / "model_final.pt", deblur_set, out, split="test",
                  columns={"input": "blur", "target": "sharp"}, tile=16, overlap=8)
    assert list(df["image"]) == ["test__sharp__004.png", "test__sharp__005.png"]
    assert sorted(p.name for p in (out / "images").iterdir()) == list(df["image"])
    saved = np.asarray(Image.open(out / "images" / df["image"][0]))
    assert saved.shape == (40, 48, 3) and saved.dtype == np.uint8
    metrics = list(csv.DictReader(open(out / "metrics.csv")))
    assert len(metrics) == 2 and all(0 < float(m["ssim"]) <= 1 for m in metrics)
    # the trained network beats doing nothing (the blurred input) on the held-out pairs
    from ddr.restoration.data import load_rgb
    from ddr.restoration.metrics import psnr
    baseline = np.mean([psnr(load_rgb(m["input"]), load_rgb(m["target"])) for m in metrics])
    assert df["psnr"].mean() > baseline
    summary = json.loads((out / "summary.json").read_text())
    assert summary["images"] == 2 and summary["psnr"] == pytest.approx(df["psnr"].mean())
    # the CLI, with NAFNet-Local at test time and no images written
    out2 = tmp_path / "eval-local"
    assert evaluate_main(["--weights", str(tmp_path / "run" / "model_final.pt"), "--pairs", str(deblur_set),
                          "--columns", "input=blur,target=sharp", "--out-dir", str(out2),
                          "--local-train-size", "16", "--no-images"]) == 0
    local = list(csv.DictReader(open(out2 / "metrics.csv")))
    assert len(local) == 2 and not (out2 / "images").exists()
    assert json.loads((out2 / "summary.json").read_text())["local_train_size"] == 16


def test_bad_inputs_fail_with_the_file_named(deblur_set, tmp_path):
    bad = tmp_path / "pairs.csv"
    bad.write_text("blur,sharp,split\nmissing.png,missing2.png,train\nmissing.png,missing2.png,test\n")
    with pytest.raises(Exception, match="missing.png"):
        train(config(bad, tmp_path / "run", iterations=1))
    with pytest.raises(ValueError, match="missing column"):
        train(config(deblur_set, tmp_path / "run2", data={"pairs": str(deblur_set)}))
    with pytest.raises(ValueError, match="unknown config key 'optim.learning_rate'"):
        train(config(deblur_set, tmp_path / "run3", optim={"learning_rate": 1}))
    assert evaluate_main(["--weights", str(tmp_path / "nope.pt"), "--pairs", str(deblur_set),
                          "--out-dir", str(tmp_path / "e")]) == 2


def test_train_cli_runs_a_yaml_config(deblur_set, tmp_path, capsys):
    import yaml

    from ddr.restoration.train import main as train_main
    cfg = config(deblur_set, tmp_path / "cli", iterations=2, loss={"psnr": 1.0}, eval_every=0)
    path = tmp_path / "cfg.yaml"
    path.write_text(yaml.safe_dump(cfg))
    assert train_main(["--config", str(path), "--set", "checkpoint_every=1"]) == 0
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["iterations"] == 2
    assert [i for i, _ in list_checkpoints(tmp_path / "cli" / "checkpoints")] == [1, 2]
    assert train_main(["--config", str(tmp_path / "absent.yaml")]) == 2
    assert "config file not found" in capsys.readouterr().err


def test_progressive_patches_and_the_held_then_cosine_lr(deblur_set, tmp_path):
    from ddr.restoration.train import lr_schedule, progressive_batch, progressive_stages

    stages = progressive_stages({"progressive": [{"iterations": 2, "crop_size": 16, "batch_size": 3},
                                                 {"iterations": 2, "crop_size": 24, "batch_size": 1}]}, 4)
    assert stages == [(2, 16, 3), (4, 24, 1)]
    with pytest.raises(ValueError, match="sum to 4"):
        progressive_stages({"progressive": [{"iterations": 4, "crop_size": 16, "batch_size": 1}]}, 5)
    inp = torch.rand(3, 3, 24, 24)
    a, b = progressive_batch(inp, inp + 1, 1, stages, seed=0)
    assert a.shape == (3, 3, 16, 16) and torch.equal(b, a + 1)
    assert torch.equal(progressive_batch(inp, inp, 1, stages, 0)[0], a)  # a pure function of (seed, iteration)
    assert progressive_batch(inp, inp, 3, stages, 0)[0].shape == (1, 3, 24, 24)

    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=3e-4)
    sched = lr_schedule(opt, {"lr": 3e-4, "eta_min": 1e-6, "constant_iterations": 4}, 12)
    lrs = []
    for _ in range(12):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    assert lrs[:5] == [3e-4] * 5 and lrs[8] == pytest.approx(1e-6 + (3e-4 - 1e-6) / 2)
    assert opt.param_groups[0]["lr"] == pytest.approx(1e-6)

    cfg = config(deblur_set, tmp_path / "prog", iterations=4, checkpoint_every=2,
                 data={"pairs": str(deblur_set), "columns": {"input": "blur", "target": "sharp"},
                       "progressive": [{"iterations": 2, "crop_size": 16, "batch_size": 2},
                                       {"iterations": 2, "crop_size": 24, "batch_size": 1}]},
                 optim={"constant_iterations": 2})
    assert train(cfg)["iterations"] == 4


def test_resume_refuses_other_fixed_loss_projections(deblur_set, tmp_path):
    cfg = config(deblur_set, tmp_path / "fdl", iterations=2, checkpoint_every=1, eval_every=0,
                 loss={"psnr": 1.0, "fdl": {"weight": 0.1, "layers": ["relu1_2"], "num_projections": 4}},
                 feature_weights="random")
    train(cfg)
    (_, last), = list_checkpoints(tmp_path / "fdl" / "checkpoints")[-1:]
    state = torch.load(last, weights_only=False)
    assert len(state["loss_fingerprint"]) == 64
    assert json.loads((tmp_path / "fdl" / "provenance.json").read_text())["loss_fingerprint"] == state["loss_fingerprint"]
    state["loss_fingerprint"] = "0" * 64
    torch.save(state, last)
    with pytest.raises(ValueError, match="other fixed loss projections"):
        train({**cfg, "iterations": 2})


def test_reduced_precision_runs_the_network_only_and_keeps_the_loss_terms_in_fp32():
    """Training under autocast (bf16 here, on the CPU; fp16/bf16 on a GPU): the network's output is reduced, the
    loss terms see fp32 inputs with autocast off, so their own backbones (VGG, CLIP) compute in fp32 too."""
    from ddr.restoration.train import forward_and_loss

    seen = {}

    class Criterion:
        def compute(self, pred, tgt):
            inner = torch.nn.functional.linear(pred.flatten(1), torch.ones(1, pred[0].numel()))
            seen.update(pred=pred.dtype, tgt=tgt.dtype, inner=inner.dtype, autocast=torch.is_autocast_enabled("cpu"))
            return inner.mean(), {"probe": inner.mean()}

    net = torch.nn.Conv2d(3, 3, 3, padding=1)
    inp = torch.rand(2, 3, 8, 8)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        assert net(inp).dtype == torch.bfloat16  # the network itself does run reduced
    total, terms = forward_and_loss(net, Criterion(), inp, inp, torch.autocast("cpu", dtype=torch.bfloat16), "cpu")
    assert seen == {"pred": torch.float32, "tgt": torch.float32, "inner": torch.float32, "autocast": False}
    assert total.dtype == torch.float32 and set(terms) == {"probe"}
