"""NAFNet / Restormer: shapes, gradients, the paper configurations, NAFNet-Local's pooling."""
import pytest
import torch
import torch.nn.functional as F

from ddr.restoration.nafnet import NAFNet, local_average, set_local_pooling
from ddr.restoration.networks import NAMED_CONFIGS, build_network, count_parameters


pytestmark = pytest.mark.usefixtures("one_torch_thread")  # tiny nets: threads only add overhead


@pytest.mark.parametrize("name", ["nafnet-tiny", "restormer-tiny"])
def test_tiny_network_shape_and_one_training_step(name):
    net = build_network(name, seed=0)
    x = torch.rand(2, 3, 37, 45)  # not a multiple of the down-sampling factor: padded and cropped inside
    target = torch.rand(2, 3, 37, 45)
    y = net(x)
    assert y.shape == x.shape
    loss = F.mse_loss(y, target)
    loss.backward()
    grads = [p.grad for p in net.parameters() if p.requires_grad]
    assert all(g is not None and torch.isfinite(g).all() for g in grads)
    assert sum(float(g.abs().sum()) for g in grads) > 0
    opt = torch.optim.AdamW(net.parameters(), lr=1e-2)
    opt.step()
    assert F.mse_loss(net(x), target) != loss  # the step changed the function


def test_seeded_build_is_deterministic_and_leaves_global_rng_alone():
    torch.manual_seed(123)
    before = torch.rand(1)
    torch.manual_seed(123)
    a = build_network("nafnet-tiny", seed=7)
    after = torch.rand(1)
    b = build_network("nafnet-tiny", seed=7)
    c = build_network("nafnet-tiny", seed=8)
    assert torch.equal(before, after)
    sa, sb, sc = a.state_dict(), b.state_dict(), c.state_dict()
    assert all(torch.equal(sa[k], sb[k]) for k in sa)
    assert any(not torch.equal(sa[k], sc[k]) for k in sa)


@pytest.mark.parametrize("name,millions", [("nafnet-gopro", 67.89), ("restormer", 26.13)])
def test_paper_configs_have_the_published_parameter_counts(name, millions):
    # NAFNet paper: 67.89M parameters (width 64, GoPro); Restormer paper: 26.13M.
    assert count_parameters(build_network(name)) / 1e6 == pytest.approx(millions, abs=0.01)


def test_dict_specs_and_errors():
    net = build_network({"name": "nafnet-tiny", "width": 12})
    assert net.intro.out_channels == 12
    net = build_network({"arch": "restormer", "dim": 8, "num_blocks": [1, 1, 1, 1], "num_refinement_blocks": 1,
                         "heads": [1, 1, 1, 1]})
    assert net(torch.rand(1, 3, 16, 16)).shape == (1, 3, 16, 16)
    with pytest.raises(ValueError, match="unknown network"):
        build_network("nafnet-huge")
    with pytest.raises(ValueError, match="arch"):
        build_network({"width": 8})
    with pytest.raises(ValueError, match="bad nafnet config"):
        build_network({"arch": "nafnet", "widht": 8})
    assert set(NAMED_CONFIGS) >= {"nafnet-tiny", "nafnet-gopro", "restormer-tiny", "restormer"}


def test_local_average_matches_avg_pool_inside_and_global_mean_when_window_covers_all():
    x = torch.rand(2, 4, 20, 17)
    loc = local_average(x, (5, 3))
    ref = F.avg_pool2d(x, (5, 3), stride=1)  # the valid positions
    assert loc.shape == x.shape
    assert torch.allclose(loc[..., 2:2 + ref.shape[-2], 1:1 + ref.shape[-1]], ref, atol=1e-6)
    glob = local_average(x, (40, 40))
    assert torch.allclose(glob, x.mean(dim=(-2, -1), keepdim=True))


def test_nafnet_local_windows_follow_the_training_crop_and_match_global_on_training_size():
    net = NAFNet(width=8, enc_blk_nums=[1, 1], middle_blk_num=1, dec_blk_nums=[1, 1])
    for blk in (m for m in net.modules() if hasattr(m, "beta")):
        torch.nn.init.normal_(blk.beta, std=0.5)
        torch.nn.init.normal_(blk.gamma, std=0.5)
    x = torch.rand(1, 3, 32, 32)
    with torch.no_grad():
        global_out = net(x)
        set_local_pooling(net, 32)  # base size 48 > 32: every window covers the crop -> same as training
        kernels = sorted({m.sca.local_kernel for m in net.modules() if hasattr(m, "sca")})
        assert kernels == [(12, 12), (24, 24), (48, 48)]  # 1.5 x 32 at levels 0, 1, 2
        assert torch.allclose(net(x), global_out, atol=1e-6)
        big = torch.rand(1, 3, 96, 96)  # larger than the base size: statistics become local
        local_big = net(big)
        set_local_pooling(net, None)
        assert not torch.allclose(net(big), local_big, atol=1e-4)
    built = build_network({"name": "nafnet-tiny", "local_train_size": 64})
    assert all(m.sca.local_kernel is not None for m in built.modules() if hasattr(m, "sca"))


def test_identity_init_starts_as_the_identity():
    from ddr.restoration.networks import build_network

    net = build_network("nafnet-tiny", seed=0)
    x = torch.rand(1, 3, 30, 34, generator=torch.Generator().manual_seed(0))
    assert torch.equal(net(x), x)
    x.requires_grad_(True)
    net(x).mean().backward()
    assert net.ending.weight.grad.abs().sum() > 0  # and it can learn from there
