"""Stand-in warnings in captions and figure footers: plain words (what was used, in place of what, why), never an
exception's class or a machine path; the exact reason stays in the provenance."""

from __future__ import annotations

import json

import pytest

from ddr.reporting.captions import full_caption, stand_in_note

# reasons as ddr.pipeline.weights.resolve_clip_weights and ddr.backbones.clip write them
NO_NETWORK = ("clip:ViT-B-32:openai unavailable (download of OpenAI ViT-B-32 weights failed (URLError); place a copy "
              "at /root/.cache/ddr/clip/ViT-B-32-openai.pt); seeded random ViT-B-32 used instead")
OFFLINE = ("clip:ViT-B-32:openai unavailable (OpenAI ViT-B-32 weights are not in /home/u/.cache/ddr/clip/"
           "ViT-B-32-openai.pt and downloads are disabled (DDR_OFFLINE=1 or clip.download: false)); seeded random "
           "ViT-B-32 used instead")
CHECKPOINT = "clip:ViT-B-32:openai replaced by the checkpoint tiny.pt (clip.checkpoints)"


@pytest.mark.parametrize("reason, cause", [
    (NO_NETWORK, "no network to download the released weights"),
    (OFFLINE, "downloads turned off for this run"),
    (CHECKPOINT, "a checkpoint given in clip.checkpoints"),
])
def test_note_names_what_was_used_instead_of_what_and_why(reason, cause):
    note = stand_in_note([{"backbone": "clip-random:ViT-B-32:0", "stand_in": True, "stand_in_reason": reason}])
    assert note.startswith("STAND-IN WEIGHTS (not replication results): clip-random:ViT-B-32:0 in place of "
                           "clip:ViT-B-32:openai (")
    assert cause in note
    assert "Error" not in note and "/" + "root" not in note and ".pt" not in note.replace("tiny.pt", "")


def test_no_note_without_a_stand_in_and_one_line_per_distinct_backbone():
    real = {"backbone": "efficientnet-lite0", "stand_in": False, "stand_in_reason": ""}
    assert stand_in_note([real]) == "" and full_caption("Caption.", [real]) == "Caption."
    lpips = {"backbone": "lpips/vgg16", "stand_in": True, "stand_in_reason": "stand-in (random init)"}
    clip = {"backbone": "clip-random:ViT-B-32:0", "stand_in": True, "stand_in_reason": NO_NETWORK}
    note = stand_in_note([clip, lpips, clip, real])
    assert note.count("clip-random") == 1 and "lpips/vgg16 (randomly initialised)" in note
    assert full_caption("Caption.", [clip]).endswith("). Caption.")


def test_figure_footer_and_caption_are_plain_words(tmp_path):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ddr.reporting import save_figure

    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    record = {"backbone": "clip-random:ViT-B-32:0", "stand_in": True, "stand_in_reason": NO_NETWORK}
    save_figure(fig, tmp_path / "fig", "A line.", [record])
    footer = [t.get_text() for t in fig.texts]
    plt.close(fig)
    assert footer and footer[0].startswith("STAND-IN WEIGHTS") and "URLError" not in footer[0]
    saved = json.loads((tmp_path / "fig.provenance.json").read_text())
    assert "URLError" not in saved["caption"] and saved["sources"][0]["stand_in_reason"] == NO_NETWORK


def test_end_of_run_warning_names_the_results_folder_in_plain_words_then_the_details(tmp_path):
    from ddr.pipeline.weights import stand_in_warning

    weights = tmp_path / "results" / "mini" / "weights"
    weights.mkdir(parents=True)
    real = {"spec": "clip:ViT-B-32:openai", "requested": "clip:ViT-B-32:openai", "stand_in": False, "reason": ""}
    (weights / "ViT-B-32+openai.json").write_text(json.dumps(real))
    assert stand_in_warning(weights) == ""
    stand_in = {"spec": "clip-random:ViT-B-32:0", "requested": "clip:ViT-B-32:openai", "stand_in": True,
                "reason": NO_NETWORK}
    (weights / "ViT-B-32+openai.json").write_text(json.dumps(stand_in))
    warning = stand_in_warning(weights)
    plain, details = warning.split(" Details: ")
    assert plain.startswith(f"WARNING: {tmp_path / 'results' / 'mini'} were computed with STAND-IN WEIGHTS "
                            "(clip-random:ViT-B-32:0 in place of clip:ViT-B-32:openai (no network")
    assert "not replication results" in plain and "URLError" not in plain
    assert "(ViT-B-32+standin-for-openai)" in plain  # the name its feature and score files carry
    assert details == f"ViT-B-32+openai: {NO_NETWORK}"  # where to place the real weights, for whoever reruns
