"""Fig. 1's distance: LPIPS when its heads and backbone weights are present, else a labelled fallback."""
import hashlib

import pytest
import torch

from ddr.pipeline.biqa.descriptor_figures import lpips_metric
from ddr.restoration import feature_nets
from ddr.restoration.losses.lpips import lpips_weights_file

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_offline_fig1_falls_back_and_says_why(tmp_path, monkeypatch):
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path))
    metric, why = lpips_metric()
    assert metric is None and why.startswith("LPIPS backbone weights unavailable") and "DDR_OFFLINE" in why


@pytest.mark.skipif(lpips_weights_file("alex") is None, reason="the lpips wheel (workflow extra) is not installed")
def test_fig1_uses_lpips_when_the_backbone_weights_are_cached(tmp_path, monkeypatch):
    donor, _ = feature_nets.load_feature_net("alexnet", "random", seed=5)
    state = {f"features.{k}": v for k, v in donor.features.state_dict().items()}
    raw = tmp_path / "raw.pth"
    torch.save(state, raw)
    name = f"alexnet-test-{hashlib.sha256(raw.read_bytes()).hexdigest()[:8]}.pth"
    (tmp_path / "checkpoints").mkdir()
    raw.rename(tmp_path / "checkpoints" / name)
    spec = feature_nets.BACKBONES["alexnet"]
    monkeypatch.setitem(feature_nets.BACKBONES, "alexnet",
                        feature_nets.BackboneSpec(f"https://example.invalid/{name}", spec.layout, spec.aliases))
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path))
    metric, info = lpips_metric()
    assert metric is not None and info["stand_in"] is False and info["linear"].startswith("lpips v0.1")
    x = torch.rand(1, 3, 48, 48, generator=torch.Generator().manual_seed(0))
    assert float(metric(x, x)) == pytest.approx(0.0, abs=1e-6)
    assert float(metric(x, torch.roll(x, 5, dims=-1))) > 0
