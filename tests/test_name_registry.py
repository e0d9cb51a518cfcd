"""The one registry mechanism (ddr.util.registry.Registry) and the four areas built on it: backbones, metrics,
loss terms and label parsers, each with its list_*()."""

from __future__ import annotations

import pytest

from ddr.util.registry import Registry, UnknownName


def _registry() -> Registry:
    reg = Registry("widget", normalise=str.lower)
    reg.add("alpha", 1, aliases=("a", "first"), meta="the first")

    @reg.register("beta", meta="the second")
    def beta():
        return 2

    reg.add("lazy", "os.path:join")
    return reg


def test_lookup_aliases_meta_and_order():
    reg = _registry()
    assert list(reg) == reg.names() == ["alpha", "beta", "lazy"] and len(reg) == 3
    assert reg.names(with_aliases=True) == ["alpha", "beta", "lazy", "a", "first"]
    assert reg["A"] == reg["first"] == 1 and reg.canonical("First") == "alpha"
    assert reg["beta"]() == 2 and reg.entry("beta").meta == "the second"
    assert "ALPHA" in reg and "a" in reg and "gamma" not in reg and 3 not in reg
    assert [e.name for e in reg.list()] == ["alpha", "beta", "lazy"]
    assert reg.entry("alpha").aliases == ("a", "first")


def test_lazy_targets_import_on_first_use():
    import os.path

    assert _registry()["lazy"] is os.path.join


def test_unknown_name_is_one_line_with_a_suggestion():
    reg = _registry()
    with pytest.raises(UnknownName) as caught:
        reg["alhpa"]
    text = str(caught.value)
    assert text == "unknown widget 'alhpa'; known: alpha, beta, lazy; did you mean 'alpha'?"
    assert isinstance(caught.value, KeyError) and isinstance(caught.value, ValueError)
    with pytest.raises(UnknownName, match="known: alpha, beta, lazy$"):
        reg.entry("zzzzzz")


def test_names_and_aliases_are_registered_once():
    reg = _registry()
    with pytest.raises(ValueError, match="'a' is registered twice"):
        reg.add("other", 3, aliases=("A",))
    with pytest.raises(ValueError, match="'beta' is registered twice"):
        reg.add("Beta", 3)
    with pytest.raises(ValueError, match="'gamma' is registered twice"):
        reg.add("gamma", 3, aliases=("GAMMA",))
    assert "gamma" not in reg


def test_every_area_lists_its_names():
    from ddr.backbones import list_backbones
    from ddr.baselines import list_metrics, metric_info
    from ddr.data.labels import PARSERS, list_label_parsers
    from ddr.restoration.losses import LOSS_NAMES, build_term, list_losses

    assert "clip:ARCH:TAG" in [k.syntax for k in list_backbones()]
    assert metric_info("IL-NIQE").name == "ilniqe" and len(list_metrics()) == 13
    with pytest.raises(KeyError, match="did you mean 'niqe'"):
        metric_info("nique")
    losses = {e.name: e for e in list_losses()}
    assert set(losses) == {"psnr", "l1", "pdl_pixel", "lpips", "contextual", "pdl", "fdl", "ddr"}
    assert losses["contextual"].aliases == ("ctx", "cx") and "cx" in LOSS_NAMES
    assert type(build_term("pixel_pdl")).__name__ == "PixelPDL"
    with pytest.raises(ValueError, match="unknown loss term 'psrn'.*did you mean 'psnr'"):
        build_term("psrn")
    parsers = [e.name for e in list_label_parsers()]
    assert "koniq10k_csv" in parsers and len(parsers) == len(PARSERS) == 13
    assert all(e.meta for e in list_label_parsers())  # each parser's docstring summary
