"""Fig. 1's layout: every panel title sits on a light box and clear of every image, whatever the images' shapes
(a two-line title used to run into the dark image above it)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import ddr.pipeline.biqa.descriptor_figures as figures


def _overlap(a, b) -> bool:
    return a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1


@pytest.mark.parametrize("names", [["coffee", "rocket", "chelsea"], ["tall", "astronaut", "coffee", "tiny"]])
def test_fig1_titles_are_boxed_and_clear_of_the_images(tmp_path, monkeypatch, golden_dir, names):
    monkeypatch.setenv("DDR_OFFLINE", "1")  # no LPIPS download: the titles then hold the feature distance only
    frame = pd.DataFrame({"image": [str(golden_dir / "images" / f"{n}.png") for n in names],
                          "pddr_blur@2.0": np.linspace(0.01, 0.2, len(names))})
    frame.to_csv(tmp_path / "pddr.csv", index=False)
    (tmp_path / "pddr.csv.provenance.json").write_text(json.dumps({"backbone": "efficientnet-lite0",
                                                                   "weights": "imagenet", "stand_in": False}))
    checked = []

    def check(fig, stem, caption, provenance):
        fig.canvas.draw()  # extents after the layout and the images' aspect are applied
        renderer = fig.canvas.get_renderer()
        images = [ax.images[0].get_window_extent(renderer) for ax in fig.axes]  # the drawn pixels
        for k, ax in enumerate(fig.axes):
            title = ax.title
            assert title.get_bbox_patch() is not None, title.get_text()  # drawn over a light box
            extent = title.get_window_extent(renderer)
            assert not [j for j, image in enumerate(images) if _overlap(extent, image)], title.get_text()
            checked.append(title.get_text())
        return []

    monkeypatch.setattr(figures, "save_figure", check)
    figures.figure1(tmp_path / "pddr.csv", 2.0, len(names), tmp_path / "fig1")
    assert len(checked) == 2 * len(names) and any("1 - cos" in text for text in checked)
