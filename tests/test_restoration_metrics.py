"""PSNR / SSIM against scikit-image, and tiled inference against untiled inference."""
import numpy as np
import pytest
import torch
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from ddr.restoration.metrics import psnr, quantize8, ssim, ssim_torch
from ddr.restoration.networks import build_network
from ddr.restoration.tiling import infer_tiled


pytestmark = pytest.mark.usefixtures("one_torch_thread")  # tiny nets: threads only add overhead


def pair(seed=0, h=48, w=40):
    rng = np.random.default_rng(seed)
    a = rng.random((h, w, 3))
    b = np.clip(a + rng.normal(0, 0.05, a.shape), 0, 1)
    return a, b


def test_psnr_known_value_and_skimage_agreement():
    a = np.full((16, 16, 3), 0.5)
    assert psnr(a + 0.1, a, quantize=False) == pytest.approx(20.0)  # MSE 0.01
    x, y = pair(1)
    assert psnr(x, y, quantize=False) == pytest.approx(peak_signal_noise_ratio(y, x, data_range=1.0), abs=1e-10)
    assert psnr(x, y) == pytest.approx(peak_signal_noise_ratio(quantize8(y), quantize8(x), data_range=1.0))
    assert psnr(x, y, crop_border=4, quantize=False) == pytest.approx(
        peak_signal_noise_ratio(y[4:-4, 4:-4], x[4:-4, 4:-4], data_range=1.0))
    t = torch.from_numpy(x).permute(2, 0, 1)  # (3, H, W) tensors are accepted too
    assert psnr(t, torch.from_numpy(y).permute(2, 0, 1), quantize=False) == pytest.approx(psnr(x, y, quantize=False))
    assert psnr(x, x) == float("inf")


def test_ssim_matches_skimage_gaussian_ssim_and_torch_version():
    x, y = pair(2)
    ref = structural_similarity(x, y, channel_axis=-1, data_range=1.0, gaussian_weights=True, sigma=1.5,
                                use_sample_covariance=False)
    assert ssim(x, y, quantize=False) == pytest.approx(ref, abs=1e-12)
    assert ssim(x, x) == pytest.approx(1.0)
    xt = torch.from_numpy(x).permute(2, 0, 1)[None]
    yt = torch.from_numpy(y).permute(2, 0, 1)[None]
    assert float(ssim_torch(xt, yt)[0]) == pytest.approx(ref, abs=1e-9)
    assert 0.2 < ref < 0.99
    with pytest.raises(ValueError, match="differ in size"):
        ssim(x, y[:-1])


def test_tiled_equals_untiled_for_a_fully_convolutional_net():
    torch.manual_seed(0)
    layers = []
    for i in range(4):  # receptive-field radius 4 <= overlap / 2
        layers += [torch.nn.Conv2d(3 if i == 0 else 6, 6 if i < 3 else 3, 3, padding=1)]
        if i < 3:
            layers.append(torch.nn.GELU())
    net = torch.nn.Sequential(*layers)
    x = torch.rand(1, 3, 70, 93)
    with torch.no_grad():
        ref = net(x)
    for tile, overlap in [(32, 8), (40, 16), (64, 12)]:
        out = infer_tiled(net, x, tile, overlap)
        assert out.shape == ref.shape
        assert (out - ref).abs().max() < 1e-5
    # overlap too small for the receptive field: seams appear (the check above can fail)
    assert (infer_tiled(net, x, 32, 2) - ref).abs().max() > 1e-3


def test_tiled_nafnet_is_close_to_untiled():
    net = build_network("nafnet-tiny", seed=0)
    for blk in (m for m in net.modules() if hasattr(m, "beta")):  # make the blocks (and SCA) matter
        torch.nn.init.normal_(blk.beta, std=0.3)
        torch.nn.init.normal_(blk.gamma, std=0.3)
    x = torch.rand(1, 3, 90, 124)
    with torch.no_grad():
        ref = net(x)
    out = infer_tiled(net, x, 64, 16)
    assert out.shape == ref.shape
    diff = (out - ref).abs()
    # global channel attention sees per-tile statistics: small differences, not seams
    assert diff.mean() < 1e-3 and diff.max() < 2e-2
    assert torch.equal(infer_tiled(net, x, None), ref)
    with pytest.raises(ValueError, match="multiples"):
        infer_tiled(net, x, 30, 8)
