"""NIQE, BRISQUE and PIQE as the original releases compute them: pinned parameter files, MATLAB functions, and
NIQE against BasicSR 1.4.2's MATLAB-faithful port (values recorded by bench/calibrate_baselines.py in
docs/baselines_calibration_basicsr.csv; recomputed live when basicsr's files are installed)."""

import hashlib
import shutil
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.ndimage
from skimage import data

from ddr.baselines import create_metric, data_files
from ddr.baselines.nss.brisque import LibsvmRegressor, read_ranges, svm_scale
from ddr.baselines.nss.brisque_filter import HCOL, HROW, brisque_mscn, conv_same, filter2_same, fspecial_window
from ddr.baselines.matlab import imresize, resize_matrix, rgb2gray_uint8, round_half_away
from ddr.baselines.nss.statistics import ALPHA_GRID, aggd_fit
from ddr.baselines.nss.piqe import centre_surround_ratio
from ddr.baselines.reference import basicsr_niqe

ROOT = Path(__file__).resolve().parents[1]
PINNED = {  # sha256 of the shipped release files (NOTICE.md says where each comes from)
    "niqe_pris_params.npz": "2a7c182a68c9e7f1b2e2e5ec723279d6f65d912b6fcaf37eb2bf03d7367c4296",
    "brisque_allmodel": "7c8e239223d4ff930cbfad4bfbceb685dbf0977804794979d2a9ed54f5d8bf1f",
    "brisque_allrange": "d4a3fbb5fc4a2ec539e7afd5188b36155affe1b18ac3556c505a141d1cc1d62b",
}


def _rgb(name):
    img = getattr(data, name)() / 255.0
    return img if img.ndim == 3 else np.repeat(img[..., None], 3, axis=2)


# ---------------------------------------------------------------------------------------------- parameter files


@pytest.mark.parametrize("entry", [data_files.NIQE_PARAMS, data_files.BRISQUE_MODEL, data_files.BRISQUE_RANGE])
def test_shipped_parameter_files_are_the_pinned_ones(entry):
    path = data_files.path_of(entry)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == PINNED[entry.name] == entry.sha256
    assert entry.name in (path.parent / "NOTICE.md").read_text()


def test_an_altered_parameter_file_is_refused(tmp_path, monkeypatch):
    copy = tmp_path / "ddr" / "baselines" / "data"
    copy.mkdir(parents=True)
    shutil.copy(data_files.path_of(data_files.NIQE_PARAMS), copy / "niqe_pris_params.npz")
    with open(copy / "niqe_pris_params.npz", "ab") as handle:
        handle.write(b"\0")
    monkeypatch.setattr(data_files.resources, "files", lambda package: tmp_path / "ddr" / "baselines")
    with pytest.raises(ValueError, match="niqe_pris_params.npz: sha256 .* does not match the pinned"):
        data_files.path_of(data_files.NIQE_PARAMS)


def test_brisque_model_is_lives_release_model():
    svr = LibsvmRegressor.read(data_files.path_of(data_files.BRISQUE_MODEL), 36)
    assert svr.support_vectors.shape == (774, 36) and svr.gamma == 0.05 and svr.rho == -153.591
    target, ranges = read_ranges(data_files.path_of(data_files.BRISQUE_RANGE))
    assert target == (-1.0, 1.0) and ranges.shape == (36, 2) and np.all(ranges[:, 0] < ranges[:, 1])
    # svm-scale maps each range's ends exactly onto the target's ends and prints 6 significant digits
    np.testing.assert_array_equal(svm_scale(ranges[:, 0], target, ranges), -1.0)
    np.testing.assert_array_equal(svm_scale(ranges[:, 1], target, ranges), 1.0)
    mid = svm_scale(ranges.mean(axis=1) + 1e-9, target, ranges)
    assert np.all(np.abs(mid) < 1e-5)


# ---------------------------------------------------------------------------------------------- MATLAB functions


def test_matlab_rounding_and_rgb2gray():
    np.testing.assert_array_equal(round_half_away(np.array([0.5, 1.5, 2.5, -0.5])), [1, 2, 3, -1])  # numpy: 0,2,2
    grey = rgb2gray_uint8(np.array([[[1.0, 1.0, 1.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]]))
    np.testing.assert_array_equal(grey, [[255, 76, 150, 29]])  # MATLAB: rgb2gray(uint8 pure colours)


def test_imresize_weights_are_matlabs_antialiased_bicubic():
    m = resize_matrix(96, 0.5)
    assert m.shape == (48, 96)
    np.testing.assert_allclose(m.sum(axis=1), 1.0, atol=1e-12)  # rows normalised, mirrored borders included
    row = m[20]  # interior: the cubic kernel stretched by 2 = 8 taps, symmetric about input 2k + 0.5
    taps = np.nonzero(row)[0]
    assert list(taps) == list(range(37, 45)) and np.allclose(row[taps], row[taps][::-1])
    # bicubic reproduces linear functions: inside, output (k, l) samples the ramp at (2k + 0.5, 2l + 0.5)
    ramp = np.add.outer(np.arange(40.0), 3 * np.arange(60.0))
    k, l = np.arange(3, 17), np.arange(3, 27)
    np.testing.assert_allclose(imresize(ramp, 0.5)[3:17, 3:27], np.add.outer(2 * k + 0.5, 3 * (2 * l + 0.5)),
                               atol=1e-9)


def test_aggd_counts_zeros_in_neither_side_as_matlab_does():
    x = np.array([-2.0, -1.0, 0.0, 0.0, 1.0, 3.0])
    _, left, right = aggd_fit(x)
    assert left == pytest.approx(np.sqrt(2.5)) and right == pytest.approx(np.sqrt(5.0))
    assert len(ALPHA_GRID) == 9801 and ALPHA_GRID[-1] == pytest.approx(10.0)


def test_brisque_filter_is_the_release_window_as_filter2_factors_it():
    window = fspecial_window()
    x = np.arange(-3.0, 4.0)
    gauss = np.exp(-np.add.outer(x * x, x * x) / (2 * (7 / 6) ** 2))
    np.testing.assert_allclose(window, gauss / gauss.sum(), rtol=0, atol=1e-16)
    np.testing.assert_allclose(np.outer(HCOL, HROW), np.rot90(window, 2), rtol=0, atol=1e-16)  # rank-1 factors
    # conv2 convolves (kernel flipped), not correlates: an asymmetric kernel shows the orientation, zero borders
    ramp = np.arange(1.0, 9.0)
    np.testing.assert_array_equal(conv_same(ramp, np.array([1.0, 2.0, 4.0]), axis=0),
                                  np.convolve(ramp, [1.0, 2.0, 4.0], mode="same"))
    grey = np.random.default_rng(0).integers(0, 256, size=(40, 50)).astype(np.float64)
    reference = scipy.ndimage.correlate(grey, window, mode="constant", cval=0.0)  # filter2(w, img, 'same')
    np.testing.assert_allclose(filter2_same(grey), reference, rtol=0, atol=1e-10)


@pytest.mark.parametrize("level, sign", [(128, 0), (249, 0), (103, 0), (248, -1), (74, -1), (87, -1), (140, -1),
                                         (162, -1)])
def test_brisque_flat_areas_keep_the_releases_round_off(level, sign):
    """Inside a flat area the MSCN is 0 in exact arithmetic; MATLAB's filter2 leaves exactly 0 or a ~1e-14 residue
    and BRISQUE's AGGD fits count its sign. These signs are the ones the release's scores on the calibration images
    imply (I19: 128 is 30% of the pixels; I06: 248, 249; I08 matched to 2e-7 with 74, 87, 103, 140, 162 so);
    a plain separable Gaussian gives 128 and 249 a residue and moved BRISQUE 7-9% off the release."""
    centre = brisque_mscn(np.full((15, 15), float(level)))[7, 7]
    assert np.sign(centre) == sign and abs(centre) < 1e-12


def test_piqe_surround_leaves_out_matlab_columns_8_and_10():
    """MATLAB's piqe deletes column 8 and then 'column 9' of what is left (= original column 10), 1-based; the
    centre is columns 8 and 9. Columns with distinct amplitudes show which ones each part uses."""
    block = np.zeros((1, 16, 16))
    signs = np.tile([1.0, -1.0], 8)
    for column, amplitude in ((7, 1.0), (8, 2.0), (9, 5.0)):  # 0-based
        block[0, :, column] = amplitude * signs
    centre = np.concatenate([block[0, :, 7], block[0, :, 8]]).std(ddof=1)
    surround = block[0][:, [c for c in range(16) if c not in (7, 9)]].std(ddof=1)  # keeps column 8 (amplitude 2)
    assert centre_surround_ratio(block)[0] == pytest.approx(centre / surround)
    paper_surround = block[0][:, [c for c in range(16) if c not in (7, 8)]].std(ddof=1)
    assert centre / paper_surround != pytest.approx(centre / surround)


# ---------------------------------------------------------------------------------------------- NIQE vs BasicSR


def test_niqe_matches_recorded_basicsr_values():
    recorded = pd.read_csv(ROOT / "docs" / "baselines_calibration_basicsr.csv").iloc[:3]
    metric = create_metric("niqe")
    for _, row in recorded.iterrows():
        ours = metric.score_images([_rgb(row["image"].rsplit(".", 1)[1])], progress=False)[0]
        assert ours == pytest.approx(row["basicsr_1.4.2"], rel=1e-3), row["image"]


def test_niqe_matches_basicsr_live():
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            niqe, params = basicsr_niqe()
    except ImportError as error:
        pytest.skip(f"optional reference not installed: {error}")
    with np.load(params) as p:
        mu, cov, window = p["mu_pris_param"], p["cov_pris_param"], p["gaussian_window"]
    metric = create_metric("niqe")
    for name in ("coffee", "chelsea"):
        rgb = _rgb(name)
        reference = niqe(rgb2gray_uint8(rgb), mu, cov, window)
        assert metric.score_images([rgb], progress=False)[0] == pytest.approx(reference, rel=1e-3)
