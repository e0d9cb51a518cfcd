from ddr.pixel import pipeline_backbone
from ddr.pipeline.features import encode_shard
from ddr.pipeline.runtime import device, setup
from ddr.pipeline.weights import backbone_from_record
from ddr.workflow.encoders import check_encoder_name

setup(snakemake)
wc, params = snakemake.wildcards, snakemake.params
if "backbone" in wc.keys():  # pixel domain: the image is degraded at every configured level
    weights = snakemake.input.get("weights") or []  # the clip weights record, only for pixel.backbone 'clip'
    weights = [weights] if isinstance(weights, str) else list(weights)
    backbone = pipeline_backbone(wc.backbone, weights[0] if weights else None)
    degradations = {f"{kind}@{level:g}": (kind, float(level)) for kind, levels in params.levels.items() for level in levels}
else:
    check_encoder_name(snakemake.input.weights, f"{wc.arch}+{wc.tag}")
    backbone = backbone_from_record(snakemake.input.weights)
    degradations = None
encode_shard(backbone.to(device(params.device)), snakemake.input.labels, int(wc.shard), int(wc.n), snakemake.output[0],
             batch_size=params.batch_size, degradations=degradations, seed=params.get("seed", 0))
