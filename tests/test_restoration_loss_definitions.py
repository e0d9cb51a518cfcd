"""FDL, PDL and CTX as their authors define them, checked against hand-computed cases."""
import io
import math

import numpy as np
import pytest
import torch

from ddr.restoration.losses import build_loss
from ddr.restoration.losses.contextual import ContextualLoss, contextual_similarity, sample_positions
from ddr.restoration.losses.distribution import (FrequencyDistributionLoss, PixelPDL, ProjectedDistributionLoss,
                                                 channel_w1)

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def images(seed, size=32, n=2):
    return torch.rand(n, 3, size, size, generator=torch.Generator().manual_seed(seed))


# ---------------------------------------------------------------------------------------------------------------
# PDL: per-channel 1-D Wasserstein distance of the sorted activations
def test_pdl_on_two_channels_equals_the_sorted_difference_formula():
    x = torch.tensor([[3.0, 1.0, 2.0], [0.0, 0.0, 1.0]]).view(1, 2, 1, 3)
    y = torch.tensor([[0.0, 5.0, 1.0], [1.0, 1.0, 1.0]]).view(1, 2, 1, 3)
    # channel 0: sorted (1,2,3) vs (0,1,5) -> (1 + 1 + 2) / 3; channel 1: (0,0,1) vs (1,1,1) -> (1 + 1 + 0) / 3
    expected = ((4 / 3) + (2 / 3)) / 2
    assert float(PixelPDL()(x, y)) == pytest.approx(expected, abs=1e-6)
    shuffled = x[..., [2, 0, 1]]  # a distribution loss: the positions do not matter
    assert float(PixelPDL()(shuffled, y)) == pytest.approx(expected, abs=1e-6)


def test_feature_pdl_sums_the_channel_distances_of_each_layer():
    layers = ["relu1_2", "relu2_2"]
    loss = ProjectedDistributionLoss(layers=layers, weights="random")
    a, b = images(1), images(2)
    fa, fb = loss.features(a, layers), loss.features(b, layers)
    expected = sum(float(channel_w1(p, q).mean()) for p, q in zip(fa, fb))
    assert float(loss(a, b)) == pytest.approx(expected, rel=1e-5)
    assert loss.provenance["projections"].startswith("channels")


# ---------------------------------------------------------------------------------------------------------------
# FDL: 256 projections drawn once, kept as buffers
def test_fdl_defaults_follow_the_official_code():
    loss = FrequencyDistributionLoss(weights="random")
    assert loss.layers == ["relu1_2", "relu2_2", "relu3_4", "relu4_4", "relu5_4"]
    assert (loss.patch_size, loss.stride, loss.phase_weight) == (5, 1, 1.0)
    shapes = [tuple(t.shape) for t in loss.fixed_tensors().values()]
    assert shapes == [(256, c, 5, 5) for c in (64, 128, 256, 512, 512)]
    for t in loss.fixed_tensors().values():
        assert torch.allclose(t.flatten(1).norm(dim=1), torch.ones(256), atol=1e-5)
    assert set(loss.fixed_tensors()) <= set(loss.state_dict())  # persistent buffers: saved with the module


def test_fdl_projections_are_fixed_across_calls_and_a_checkpoint_reload():
    opts = {"layers": ["relu1_2", "relu2_2"], "num_projections": 16, "weights": "random"}
    loss = FrequencyDistributionLoss(seed=0, **opts)
    a, b = images(3), images(4)
    first = float(loss(a, b))
    assert float(loss(a, b)) == first and float(loss(a, images(9))) != first
    buf = io.BytesIO()
    torch.save(loss.state_dict(), buf)
    other = FrequencyDistributionLoss(seed=7, **opts)
    assert float(other(a, b)) != first
    other.load_state_dict(torch.load(io.BytesIO(buf.getvalue()), weights_only=True))
    assert all(torch.equal(p, q) for p, q in zip(other.fixed_tensors().values(), loss.fixed_tensors().values()))
    rebuilt = build_loss({"fdl": {"seed": 0, **{k: v for k, v in opts.items() if k != "weights"}}},
                         feature_weights="random")
    assert float(rebuilt(a, b)) == first
    assert rebuilt.fingerprint() == build_loss({"fdl": {"seed": 0, "layers": ["relu1_2", "relu2_2"],
                                                        "num_projections": 16}}, feature_weights="random").fingerprint()
    assert build_loss({"psnr": 1.0}).fingerprint() == ""


def test_fdl_equals_the_official_formula_on_one_layer():
    loss = FrequencyDistributionLoss(layers=["relu1_2"], num_projections=8, weights="random")
    a, b = images(5, size=16), images(6, size=16)
    (fa,), (fb,) = loss.features(a, ["relu1_2"]), loss.features(b, ["relu1_2"])
    w = loss.projection_0

    def swd(x, y):
        px = torch.nn.functional.conv2d(x, w).flatten(2).sort(-1).values
        py = torch.nn.functional.conv2d(y, w).flatten(2).sort(-1).values
        return (px - py).abs().mean([1, 2])

    za, zb = torch.fft.fftn(fa, dim=(-2, -1)), torch.fft.fftn(fb, dim=(-2, -1))
    expected = (swd(za.abs(), zb.abs()) + swd(za.angle(), zb.angle())).mean()
    assert float(loss(a, b)) == pytest.approx(float(expected), rel=1e-4)


# ---------------------------------------------------------------------------------------------------------------
# CTX: bandwidth 0.5 on conv3_2 / conv4_2, random spatial sampling
def cx_by_hand(x, y, h, eps=1e-5):
    """The paper's formula with explicit loops, one image: x, y (C, N) numpy arrays."""
    mu = y.mean(axis=1, keepdims=True)
    xc, yc = x - mu, y - mu
    n = x.shape[1]
    d = np.empty((n, n))
    for i in range(n):
        for j in range(n):
            cos = xc[:, i] @ yc[:, j] / (np.linalg.norm(xc[:, i]) * np.linalg.norm(yc[:, j]))
            d[i, j] = (1 - cos) / 2
    cx = np.empty((n, n))
    for i in range(n):
        rel = d[i] / (d[i].min() + eps)
        w = np.exp((1 - rel) / h)
        cx[i] = w / w.sum()
    return cx.max(axis=0).mean()


@pytest.mark.parametrize("h", [0.5, 0.1])
def test_contextual_similarity_equals_the_formula_by_hand(h):
    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(1, 4, 5, generator=g, dtype=torch.float64), torch.randn(1, 4, 5, generator=g, dtype=torch.float64)
    ours = float(contextual_similarity(x, y, h=h)[0])
    assert ours == pytest.approx(cx_by_hand(x[0].numpy(), y[0].numpy(), h), rel=1e-9)
    assert float(contextual_similarity(y, y, h=h)[0]) == pytest.approx(1.0, abs=1e-6)


def test_contextual_defaults_are_the_authors_and_sampling_is_shared():
    loss = ContextualLoss(weights="random")
    assert loss.layers == ["relu3_2", "relu4_2"] and loss.h == 0.5 and loss.max_points == 65 ** 2
    a = torch.arange(2 * 3 * 10 * 10, dtype=torch.float32).view(2, 3, 10, 10)
    torch.manual_seed(1)
    sa, sb = sample_positions(a, a + 1, 30)
    assert sa.shape == (2, 3, 30) and torch.equal(sb, sa + 1)  # the same positions in both maps
    torch.manual_seed(1)
    assert torch.equal(sample_positions(a, a + 1, 30)[0], sa)  # drawn from the (checkpointed) global RNG
    assert sample_positions(a, a, 100)[0].shape[-1] == 100  # small maps: every position, no sampling
    assert math.isfinite(float(ContextualLoss(layers=["relu2_2"], max_side=5, weights="random")(images(1), images(2))))
