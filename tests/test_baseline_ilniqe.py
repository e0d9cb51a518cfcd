"""IL-NIQE: template files (official .mat layout and our refitted .npz), the refit on a pristine set, its
statistics (Weibull MLE, log-Gabor bank), and the label that says a template was refitted."""

import numpy as np
import pytest
import scipy.io
import scipy.stats
from skimage import data

from ddr.baselines import create_metric
from ddr.baselines.nss.ilniqe import (BLOCK, ORIENTATIONS, SCALES, ILNIQE, fit_ilniqe, ilniqe_features,
                                  load_template, log_gabor_filters, weibull_fit)


@pytest.fixture(scope="module")
def pristine_dir(tmp_path_factory):
    from PIL import Image

    root = tmp_path_factory.mktemp("pristine")
    for name in ("astronaut", "chelsea"):
        Image.fromarray(getattr(data, name)()).save(root / f"{name}.png")
    return root


@pytest.fixture(scope="module")
def refitted(pristine_dir, tmp_path_factory):
    return fit_ilniqe(pristine_dir, tmp_path_factory.mktemp("tpl") / "refitted_template.npz")


def test_weibull_fit_is_the_maximum_likelihood_estimate():
    rng = np.random.default_rng(0)
    samples = scipy.stats.weibull_min.rvs(1.7, scale=3.0, size=(2, 4000), random_state=rng)
    scale, shape = weibull_fit(samples)
    for k in range(2):
        ref_shape, _, ref_scale = scipy.stats.weibull_min.fit(samples[k], floc=0)
        assert shape[k] == pytest.approx(ref_shape, rel=1e-4) and scale[k] == pytest.approx(ref_scale, rel=1e-4)


def test_log_gabor_bank():
    bank = log_gabor_filters(64, 64, 2.4)
    assert bank.shape == (SCALES * ORIENTATIONS, 64, 64)
    assert np.all(bank[:, 0, 0] == 0) and np.all((bank >= 0) & (bank <= 1))
    peak = bank.reshape(len(bank), -1).argmax(axis=1)
    assert len(set(peak)) == len(bank)  # every (scale, orientation) peaks somewhere else


def test_features_have_the_release_layout():
    feats, sharpness = ilniqe_features(data.astronaut()[::2, ::2] / 255.0)  # resized to 524 px whatever the input
    assert feats.shape == ((524 // BLOCK) ** 2, 468) and sharpness.shape == (36,)
    assert np.all(np.isfinite(feats)) and feats.max() <= 10000


def test_refitted_template_scores_and_is_labelled(refitted, monkeypatch, tmp_path):
    metric = ILNIQE(refitted)
    assert metric.name == "IL-NIQE (refitted)" and "REFITTED template" in metric.parameters
    assert "2 pristine image(s)" in metric.parameters
    clean = data.coffee() / 255.0
    noisy = np.clip(clean + np.random.default_rng(0).normal(0, 0.2, clean.shape), 0, 1)
    scores = metric.score_images([clean, noisy], progress=False)
    assert np.all(np.isfinite(scores)) and scores[1] > scores[0]  # heavy noise is far from the pristine model
    # the registry finds a refitted template in $DDR_CACHE/ilniqe/ by itself
    (tmp_path / "ilniqe").mkdir()
    (tmp_path / "ilniqe" / "refitted_template.npz").write_bytes(refitted.read_bytes())
    monkeypatch.setenv("DDR_CACHE", str(tmp_path))
    found = create_metric("ilniqe")
    assert found.parameters == metric.parameters and np.array_equal(found.template.cov, metric.template.cov)


def test_official_mat_layout_loads_as_official(refitted, tmp_path):
    t = load_template(refitted)
    cells = np.empty((1, 4), dtype=object)
    cells[0, :] = [t.mu[None, :], t.cov, t.mean[:, None], t.basis]
    scipy.io.savemat(tmp_path / "templatemodel.mat", {"templateModel": cells})
    official = load_template(tmp_path / "templatemodel.mat")
    assert official.origin == "official"
    np.testing.assert_array_equal(official.basis, t.basis)
    assert ILNIQE(official).name == "IL-NIQE"


def test_bad_template_and_empty_folder_are_named(tmp_path):
    bad = tmp_path / "templatemodel.mat"
    bad.write_bytes(b"not a mat file")
    with pytest.raises(ValueError, match="templatemodel.mat: not an IL-NIQE template"):
        load_template(bad)
    with pytest.raises(ValueError, match="no images to fit IL-NIQE on"):
        fit_ilniqe(tmp_path)
