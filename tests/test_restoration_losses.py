"""Loss terms: finite, differentiable, minimal for identical inputs; registry; backbone weights provenance."""
import hashlib
import math

import pytest
import torch

from ddr.restoration import feature_nets
from ddr.restoration.feature_nets import load_feature_net
from ddr.restoration.losses import LOSS_NAMES, build_loss
from ddr.restoration.losses.lpips import lpips_weights_file


pytestmark = pytest.mark.usefixtures("one_torch_thread")  # tiny nets: threads only add overhead


def images(seed=0, size=32):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(2, 3, size, size, generator=g)


class TinyDDR(torch.nn.Module):
    """Stand-in for ddr.DDR: a frozen conv 'encoder', loss = -mean(1 - cos(F, F + d))."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.enc = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3, stride=2), torch.nn.AdaptiveAvgPool2d(1),
                                       torch.nn.Flatten())
        self.direction = torch.nn.Parameter(torch.randn(8))

    def loss(self, x):
        f = self.enc(x)
        return -(1 - torch.cosine_similarity(f, f + self.direction, dim=1)).mean()

    def provenance(self):
        return {"weights": "stand-in (test)", "stand_in": True}


FEATURE_OPTS = {
    "lpips": {},
    "contextual": {"layers": ["relu2_2", "relu3_4"], "max_side": 8},
    "pdl": {"layers": ["relu1_2", "relu2_2"]},
    "fdl": {"layers": ["relu1_2", "relu2_2"], "num_projections": 8, "patch_size": 3},
}


@pytest.mark.parametrize("name", ["psnr", "l1", "pdl_pixel", "lpips", "contextual", "pdl", "fdl", "ddr"])
def test_loss_finite_differentiable_and_minimal_on_identical_inputs(name):
    loss = build_loss({name: {"weight": 1.0, **FEATURE_OPTS.get(name, {})}}, ddr_model=TinyDDR(),
                      feature_weights="random")
    target = images(1)
    pred = images(2).requires_grad_(True)
    value = loss(pred, target)
    assert value.dim() == 0 and torch.isfinite(value)
    value.backward()
    assert torch.isfinite(pred.grad).all() and pred.grad.abs().sum() > 0
    if name == "ddr":
        return  # no-reference: nothing to compare with
    same = loss(target, target)
    if name == "psnr":
        assert float(same) == pytest.approx(-80.0, abs=1e-3)  # 10 log10(1e-8): the minimum
        assert float(value.detach()) > -20
    elif name == "contextual":
        assert float(same) < 1e-3 < float(value.detach())
    else:
        assert float(same) == pytest.approx(0.0, abs=1e-6)
        assert float(value.detach()) > 1e-4


def test_psnr_loss_is_minus_mean_psnr_per_image():
    target = torch.zeros(2, 3, 8, 8)
    pred = target.clone()
    pred[0] += 0.1   # MSE 1e-2 -> 20 dB
    pred[1] += 0.01  # MSE 1e-4 -> 40 dB
    value = build_loss({"psnr": 1})(pred, target)
    # per image, then the mean (not the MSE of the whole batch, which would give -23 dB)
    expected = (10 * math.log10(1e-2 + 1e-8) + 10 * math.log10(1e-4 + 1e-8)) / 2
    assert float(value) == pytest.approx(expected, abs=1e-4)
    assert expected == pytest.approx(-30.0, abs=1e-3)


def test_composite_is_weighted_sum_and_reports_terms_and_provenance():
    torch.manual_seed(0)
    ddr_model = TinyDDR()
    loss = build_loss({"psnr": 1.0, "ddr": 0.05, "ctx": {"weight": 0.1, "layers": ["relu2_2"]}},
                      ddr_model=ddr_model, feature_weights="random")
    pred, target = images(3), images(4)
    total, terms = loss.compute(pred, target)
    assert set(terms) == {"psnr", "ddr", "contextual"}
    expected = terms["psnr"] + 0.05 * terms["ddr"] + 0.1 * terms["contextual"]
    assert torch.allclose(total, expected)
    assert torch.allclose(terms["ddr"], ddr_model.loss(pred))
    assert loss.uses_stand_in
    assert loss.provenance["contextual"]["weights"].startswith("stand-in (random weights requested")
    assert loss.provenance["ddr"]["weights"] == "stand-in (test)"
    assert not any(p.requires_grad for p in ddr_model.parameters())  # the DDR encoder stays frozen
    assert not build_loss({"psnr": 1}).uses_stand_in
    real = TinyDDR()
    real.provenance = lambda: {"weights": "openai", "stand_in": False}
    assert not build_loss({"psnr": 1, "ddr": 0.1}, ddr_model=real).uses_stand_in


def test_registry_errors():
    with pytest.raises(ValueError, match="unknown loss term"):
        build_loss({"perceptual": 1.0})
    with pytest.raises(ValueError, match="needs a DDR model"):
        build_loss({"ddr": 1.0})
    with pytest.raises(ValueError, match="bad options"):
        build_loss({"psnr": {"weight": 1, "foo": 2}})
    with pytest.raises(TypeError, match="loss"):
        build_loss({"ddr": 1.0}, ddr_model=object())
    assert {"psnr", "lpips", "contextual", "pdl", "fdl", "ddr"} <= set(LOSS_NAMES)


def test_contextual_prefers_the_same_content_to_other_content():
    loss = build_loss({"contextual": {"layers": ["relu2_2"], "max_side": 8}}, feature_weights="random")
    a, b = images(5), images(6)
    shifted = torch.roll(a, shifts=3, dims=-1)  # same content, misaligned
    assert float(loss(shifted, a)) < float(loss(b, a))


def test_lpips_uses_the_packaged_linear_weights_when_installed():
    loss = build_loss({"lpips": {"net": "alex"}}, feature_weights="random")
    prov = loss.provenance["lpips"]
    if lpips_weights_file("alex") is None:
        assert prov["linear"].startswith("unit weights")
    else:
        assert prov["linear"].startswith("lpips v0.1 linear layers")
        lin = loss.terms["lpips"].lin0.flatten()
        state = torch.load(lpips_weights_file("alex"), map_location="cpu", weights_only=True)
        assert torch.equal(lin, state["lin0.model.1.weight"].flatten())
    assert "meaningless on a stand-in backbone" in prov["linear"]


def test_feature_net_offline_falls_back_to_a_seeded_stand_in(tmp_path):
    net, info = load_feature_net("vgg16", "imagenet", cache_dir=tmp_path)
    assert info["weights"].startswith("stand-in (ImageNet weights not in cache")
    assert "DDR_OFFLINE" in info["weights"]
    net2, _ = load_feature_net("vgg16", "random", seed=0)
    assert all(torch.equal(a, b) for a, b in zip(net.state_dict().values(), net2.state_dict().values()))
    assert not any(p.requires_grad for p in net.parameters())
    feats = net(torch.rand(1, 3, 32, 32), ["relu1_2", "relu3_3"])
    assert [f.shape[1] for f in feats] == [64, 256]
    with pytest.raises(ValueError, match="no layer"):
        net(torch.rand(1, 3, 32, 32), ["relu9_9"])


def test_feature_net_loads_cached_weights_and_verifies_their_hash(tmp_path, monkeypatch):
    # A state dict laid out like torchvision's alexnet checkpoint, named with its own sha256 prefix.
    donor, _ = load_feature_net("alexnet", "random", seed=3)
    state = {f"features.{k}": v for k, v in donor.features.state_dict().items()}
    state["classifier.1.weight"] = torch.zeros(2, 2)
    raw = tmp_path / "raw.pth"
    torch.save(state, raw)
    digest = hashlib.sha256(raw.read_bytes()).hexdigest()[:8]
    name = f"alexnet-test-{digest}.pth"
    raw.rename(tmp_path / name)
    spec = feature_nets.BACKBONES["alexnet"]
    monkeypatch.setitem(feature_nets.BACKBONES, "alexnet",
                        feature_nets.BackboneSpec(f"https://example.invalid/{name}", spec.layout, spec.aliases))
    net, info = load_feature_net("alexnet", "imagenet", cache_dir=tmp_path)
    assert info["weights"] == "imagenet"
    assert all(torch.equal(a, b) for a, b in zip(net.state_dict().values(), donor.state_dict().values()))
    # a corrupted file is refused, not silently used
    data = bytearray((tmp_path / name).read_bytes())
    data[-1] ^= 0xFF
    (tmp_path / name).write_bytes(bytes(data))
    _, info = load_feature_net("alexnet", "imagenet", cache_dir=tmp_path)
    assert info["weights"].startswith("stand-in (") and "sha256" in info["weights"]


def test_fdl_phase_has_finite_gradient_on_zero_features():
    from ddr.restoration.losses.distribution import amplitude_phase
    x = torch.zeros(1, 2, 4, 4, requires_grad=True)
    amp, phase = amplitude_phase(x)
    (amp.sum() + phase.sum()).backward()
    assert torch.isfinite(x.grad).all()
    assert math.isclose(float(amp.detach().sum()), 0.0)
