"""Feature and score files are named for the CLIP weights that were used, never for weights a stand-in replaced."""

from __future__ import annotations

import json

import pytest

from ddr.workflow.encoders import (EncoderNameError, check_encoder_name, encoder_of_record, files_encoder,
                                   is_stand_in_name, requested_encoder)


def _record(folder, requested: str, stand_in: bool):
    path = folder / f"{requested}.json"
    path.write_text(json.dumps({"spec": "clip-random:ViT-B-32:0" if stand_in else "clip:ViT-B-32:openai",
                                "requested": "clip:ViT-B-32:openai", "stand_in": stand_in, "reason": ""}))
    return path


@pytest.mark.parametrize("requested", ["ViT-B-32+openai", "RN50+openai", "ViT-B-16+laion2b_s34b_b88k"])
def test_a_stand_in_name_says_so_and_leads_back_to_its_request(requested):
    real, stand_in = files_encoder(requested, False), files_encoder(requested, True)
    assert real == requested and not is_stand_in_name(real)
    assert stand_in != requested and is_stand_in_name(stand_in) and "standin" in stand_in
    assert stand_in.split("+")[0] == requested.split("+")[0]  # the architecture is what was used
    assert requested_encoder(stand_in) == requested_encoder(real) == requested


def test_the_record_names_the_files_and_a_name_that_claims_other_weights_is_refused(tmp_path):
    stand_in = _record(tmp_path, "ViT-B-32+openai", stand_in=True)
    assert encoder_of_record(stand_in) == "ViT-B-32+standin-for-openai"
    check_encoder_name(stand_in, "ViT-B-32+standin-for-openai")
    with pytest.raises(EncoderNameError, match=r"ViT-B-32\+openai\.json.*not 'ViT-B-32\+openai'"):
        check_encoder_name(stand_in, "ViT-B-32+openai")
    real = _record(tmp_path, "ViT-B-32+openai", stand_in=False)  # the real weights arrived: the record is redone
    assert encoder_of_record(real) == "ViT-B-32+openai"
    with pytest.raises(EncoderNameError, match="run snakemake again"):
        check_encoder_name(real, "ViT-B-32+standin-for-openai")
