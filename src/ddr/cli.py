"""The `ddr` command: `ddr score` writes one CSV row per image (same numbers as the Python API)."""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import sys
from pathlib import Path

import torch
from tqdm import tqdm

from ddr.backbones.base import PRECISIONS
from ddr.io import DEFAULT_MAX_PIXELS, ImageReadError, check_image, find_images, iter_decoded
from ddr.patches import DEFAULT_BATCH_SIZE
from ddr.util.atomic import atomic_path, check_output_target
from ddr.util.prefetch import default_workers


def build_model(args: argparse.Namespace):
    """The DDR flavour the flags ask for, on the requested device."""
    from ddr.backbones import DEFAULT_BACKBONE, DEFAULT_PIXEL_BACKBONE, load_backbone
    from ddr.model import DDR
    from ddr.pixel import DEFAULT_LEVELS, PixelDDR, parse_levels

    if args.checkpoint and args.backbone:
        raise ValueError("give either --checkpoint or --backbone, not both")
    spec = f"openai-checkpoint:{args.checkpoint}" if args.checkpoint else args.backbone
    if args.prompts and args.domain != "feature":
        raise ValueError("--prompts applies to the feature domain (text-driven degradations) only")
    if args.domain == "feature" and args.directions == "images":  # image-defined directions (extension)
        if args.prompts:
            raise ValueError("--prompts applies to --directions text only")
        types = args.types.split(",") if args.types else None
        model = DDR.from_backbone(load_backbone(spec or DEFAULT_PIXEL_BACKBONE), directions="images",
                                  images=direction_images(args), levels=parse_levels(args.levels) if args.levels
                                  else None, seed=args.seed, types=types, adaptive=not args.no_adaptation)
    elif args.domain == "feature":
        types = args.types.split(",") if args.types else None
        prompts = read_prompt_file(args.prompts) if args.prompts else None
        model = DDR(load_backbone(spec or DEFAULT_BACKBONE), types=types, prompts=prompts,
                    adaptive=not args.no_adaptation)
    else:
        levels = parse_levels(args.levels) if args.levels else dict(DEFAULT_LEVELS)
        if args.types:
            wanted = args.types.split(",")
            missing = [t for t in wanted if t not in levels]
            if missing:
                raise ValueError(f"--types {missing} have no level; give them with --levels KIND=LEVEL")
            levels = {t: levels[t] for t in wanted}
        model = PixelDDR(load_backbone(spec or DEFAULT_PIXEL_BACKBONE), levels, seed=args.seed)
    model.backbone.set_precision(args.precision)
    return model.to(resolve_device(args.device))


def read_prompt_file(path: str) -> dict[str, tuple[str, str]]:
    """Custom degradation vocabulary from YAML or JSON: `{haze: [clean prompt, degraded prompt], ...}`."""
    import yaml

    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except OSError as error:
        raise ValueError(f"{path}: cannot read the prompt file ({error.strerror or error})") from None
    except yaml.YAMLError as error:
        raise ValueError(f"{path}: not valid YAML/JSON ({str(error).splitlines()[0]})") from None
    if not isinstance(data, dict) or not data:
        raise ValueError(f"{path}: expected a mapping of type -> [clean prompt, degraded prompt]")
    pairs = {}
    for name, pair in data.items():
        if not (isinstance(pair, (list, tuple)) and len(pair) == 2 and all(isinstance(p, str) and p for p in pair)):
            raise ValueError(f"{path}: {name!r} must be a list of two prompts [clean, degraded], got {pair!r}")
        pairs[str(name)] = (pair[0], pair[1])
    return pairs


def direction_images(args: argparse.Namespace) -> list[torch.Tensor] | None:
    """--direction-images: the pristine photographs that define image directions; never one of the scored inputs
    (None: the bundled photographs of ddr.directions.bundled_pristine_images)."""
    from ddr.io import load_image

    if not args.direction_images:
        return None
    paths = find_images([args.direction_images])
    if not paths:
        raise ValueError(f"--direction-images {args.direction_images}: no images found")
    scored = {p.resolve() for p in find_images(args.inputs)}
    shared = [str(p) for p in paths if p.resolve() in scored]
    if shared:
        raise ValueError(f"--direction-images and the scored inputs share {len(shared)} image(s), e.g. {shared[0]}: "
                         "the images that define the directions must not be scored with them")
    return [load_image(p) for p in paths]


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError("--device cuda requested but no CUDA device is available")
    return torch.device(name)


def _readable(paths: list[Path], args: argparse.Namespace, report_skip) -> list[Path]:
    """Header check of every input before the model loads: bad files fail (or are skipped) in a second, not
    after minutes of scoring."""
    kept = []
    for path in paths:
        try:
            check_image(path, args.max_pixels or None)
            kept.append(path)
        except ImageReadError as error:
            if not args.skip_bad:
                raise
            report_skip(error)
    return kept


def _write_rows(target, header: list[str], rows: list[list], form: str = "csv") -> None:
    """All rows at once (nothing reaches stdout or --out unless every image was scored): CSV, or JSON objects."""
    with contextlib.ExitStack() as stack:
        handle = sys.stdout if target is None else stack.enter_context(open(stack.enter_context(atomic_path(target)),
                                                                         "w", newline=""))
        if form == "json":
            records = [{name: (value if name == "path" else float(value)) for name, value in zip(header, row)}
                       for row in rows]
            handle.write(json.dumps(records, indent=1) + "\n")
            return
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def score_rows(args: argparse.Namespace, paths: list[Path], report_skip):
    """(header, lazily scored rows): DDR as the flags ask, or the --metric list (ddr.baselines, whole images)."""
    def decode(transform, device: str):
        return iter_decoded(paths, transform, args.workers or default_workers(device), args.skip_bad, report_skip,
                            args.max_pixels or None)

    if args.metric:
        from ddr.baselines.command import metric_rows

        device = resolve_device(args.device)
        spec = f"openai-checkpoint:{args.checkpoint}" if args.checkpoint else args.backbone
        return metric_rows(args.metric, decode(None, str(device)), args.batch_size, device,
                           lambda: build_model(args), spec)
    model = build_model(args)
    # decoding threads crop and resize each image to encoder-size windows as soon as it is read
    decoded = decode(model.stream_input, str(model.backbone.device))
    rows = ([str(path), repr(sum(row) / len(row)), *map(repr, row)]
            for path, row in ((p, t.cpu().tolist()) for p, t in model.quality_scores_stream(decoded, args.batch_size)))
    return ["path", "ddr", *[f"ddr_{t}" for t in model.types]], rows


def list_command(args: argparse.Namespace) -> int:
    """`ddr list`: every metric with its direction, the backbone specs, the degradation types and prompts, and the
    datasets of the registry."""
    from ddr.baselines.command import list_lines

    print("\n".join([*list_lines(), *dataset_lines()]))
    return 0


def dataset_lines() -> list[str]:
    """The `ddr list` datasets section: name, evaluation size and how to obtain each registry set (details:
    `ddr datasets`)."""
    from ddr.data.registry import describe

    rows = describe()
    width = max(len(r["name"]) for r in rows)
    lines = ["datasets (access: direct = downloaded by the pipeline, registration = request form, manual = place the "
             "archive by hand; details: ddr datasets):"]
    for r in rows:
        size = "?" if r["images"] is None else str(r["images"])
        unit = "pairs " if r["task"] == "restoration_pairs" else "images"
        lines.append(f"  {r['name']:<{width}}  {size:>6} {unit}  {r['access']:<12}  {r['title']}")
    return lines


def fit_ilniqe_command(args: argparse.Namespace) -> int:
    """`ddr fit-ilniqe DIR`: an IL-NIQE template refitted on your pristine images (scores labelled refitted)."""
    from ddr.baselines import fit_ilniqe

    print(f"ddr: IL-NIQE template refitted on {args.directory}: {fit_ilniqe(args.directory, args.out)}")
    return 0


def score(args: argparse.Namespace) -> int:
    if args.out:
        check_output_target(args.out)
    skipped: list[ImageReadError] = []

    def report_skip(error: ImageReadError) -> None:
        skipped.append(error)
        print(f"ddr: skipped {error}", file=sys.stderr)

    paths = find_images(args.inputs)
    if not paths:
        raise ValueError("no images found in " + " ".join(map(str, args.inputs)))
    paths = _readable(paths, args, report_skip)
    if not paths:
        raise ValueError(f"none of the {len(skipped)} input image(s) could be read")
    header, scored = score_rows(args, paths, report_skip)
    rows: list[list] = []
    try:
        with tqdm(total=len(paths), unit="img", desc="ddr score", file=sys.stderr, disable=args.quiet) as bar:
            accounted = len(skipped)
            for row in scored:
                rows.append(row)
                bar.update(1 + len(skipped) - accounted)  # skipped files count as done too
                accounted = len(skipped)
            bar.update(len(skipped) - accounted)
    except ImageReadError as error:
        if rows and args.out:  # what was scored before the bad file is kept, under a name that says it is partial
            partial = f"{args.out}.partial"
            _write_rows(partial, header, rows, args.format)
            error.reason += f"; the {len(rows)} score(s) before it are in {partial}"
            error.args = (f"{error.path}: {error.reason}",)
        raise
    _write_rows(args.out, header, rows, args.format)  # --out appears only once every row is written
    if skipped:
        print(f"ddr: {len(skipped)} unreadable image(s) skipped", file=sys.stderr)
    return 0


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {value}")
    return value


class _HelpWithDefaults(argparse.ArgumentDefaultsHelpFormatter):
    """Shows a flag's default where it has one worth showing (not None or False)."""

    def _get_help_string(self, action):
        if action.default is None or action.default is False or "%(default)" in (action.help or ""):
            return action.help
        return super()._get_help_string(action)


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ddr", description="Deep Degradation Response (Wu et al., NeurIPS 2024)")
    parser.add_argument("--version", action="version", version=f"%(prog)s {package_version()}")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("score", help="score images (official square-patch BIQA scheme); CSV or JSON out",
                       formatter_class=_HelpWithDefaults)
    p.add_argument("inputs", nargs="+", metavar="IMAGE_OR_DIR")
    source = p.add_mutually_exclusive_group()
    source.add_argument("--backbone", help="backbone spec, e.g. clip:ViT-B-32:openai, efficientnet-lite0, clip-random:ViT-B-32")
    source.add_argument("--checkpoint", help="OpenAI-format CLIP checkpoint (TorchScript archive or state dict)")
    p.add_argument("--types", help="comma-separated degradation types (default: blur,color,noise,exposure, plus any "
                                   "--prompts types)")
    p.add_argument("--prompts", metavar="FILE", help="feature domain: YAML/JSON {type: [clean prompt, degraded prompt]} "
                                                     "adding (or overriding) degradation types, e.g. haze")
    p.add_argument("--domain", choices=["feature", "pixel"], default="feature",
                   help="feature: text-driven DDR (the paper's method); pixel: degrade the image itself")
    p.add_argument("--levels", help="pixel domain: KIND=LEVEL list, e.g. blur=2,noise=0.05")
    p.add_argument("--directions", choices=["text", "images"], default="text",
                   help="feature domain: text prompts through CLIP's text tower (the paper), or directions measured on "
                        "pristine images (an extension, for encoders without a text tower, e.g. efficientnet-lite0)")
    p.add_argument("--direction-images", metavar="DIR",
                   help="--directions images: pristine photographs that define them (default: 8 bundled photographs; "
                        "levels from --levels, default blur=2,color=0.5,noise=0.05,exposure=1; cached in $DDR_CACHE)")
    p.add_argument("--no-adaptation", action="store_true", help="feature domain: add raw text directions (ablation)")
    p.add_argument("--seed", type=int, default=0, help="pixel domain: noise seed")
    p.add_argument("--batch-size", type=positive_int, default=DEFAULT_BATCH_SIZE,
                   help="image windows per encoder call (windows of consecutive images share a call; the bar moves "
                        "after each call); the default is the fastest on a CPU; on a GPU 256 is faster")
    p.add_argument("--workers", type=non_negative_int, default=0,
                   help="threads decoding images ahead of the encoder (0: 2 on a CPU, 8 beside a GPU)")
    p.add_argument("--precision", choices=list(PRECISIONS), default="fp32",
                   help="encoder arithmetic: fp32 reproduces the official numbers (1e-5); bf16 is ~2x faster on "
                        "CPUs with bf16 units (DDR within ~1e-3); fp16 is the official code's CUDA mode")
    p.add_argument("--max-pixels", type=non_negative_int, default=DEFAULT_MAX_PIXELS,
                   help="refuse (or with --skip-bad, skip) images above this many pixels; 0 = no limit")
    p.add_argument("--device", default="auto", help="cpu, cuda, cuda:N or auto")
    p.add_argument("--out", help="output file (default: stdout); written atomically once every image is scored")
    p.add_argument("--format", choices=["csv", "json"], default="csv",
                   help="csv: path,ddr,ddr_<type>...; json: a list of objects with the same fields")
    p.add_argument("--skip-bad", action="store_true", help="report unreadable images on stderr and go on")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--metric", metavar="NAME[,NAME...]",
                   help="score with these metrics instead (see `ddr list`; ddr = DDR with the flags above): CSV "
                        "path,<name>,...")
    p.set_defaults(func=score)
    lp = sub.add_parser("list", help="metrics with their direction, backbone specs, degradation types and prompts, "
                                       "datasets")
    lp.set_defaults(func=list_command)
    fp = sub.add_parser("fit-ilniqe", help="refit IL-NIQE's template on a folder of pristine images")
    fp.add_argument("directory", metavar="DIR")
    fp.add_argument("--out", help="template file (default: $DDR_CACHE/ilniqe/refitted_template.npz)")
    fp.set_defaults(func=fit_ilniqe_command)
    d = sub.add_parser("datasets", help="list the dataset registry: images, score direction, archives, access")
    d.add_argument("--json", action="store_true", help="a JSON list of objects (name, images, direction, archives, ...)")
    d.add_argument("--registry", help="registry file (default: $DDR_DATASETS_YAML, else src/ddr/resources/datasets.yaml)")
    d.set_defaults(func=datasets)
    return parser


def datasets(args: argparse.Namespace) -> int:
    from ddr.data.registry import describe, format_description, load_registry

    rows = describe(load_registry(args.registry))
    print(json.dumps(rows, indent=2) if args.json else format_description(rows))
    return 0


def package_version() -> str:
    """The installed distribution's version (what pip knows), else the source tree's."""
    from importlib import metadata

    try:
        return metadata.version("deep-degradation-response")
    except metadata.PackageNotFoundError:
        from ddr import __version__

        return __version__


def main(argv: list[str] | None = None) -> int:
    args = make_parser().parse_args(argv)
    try:
        return args.func(args)
    except (ImageReadError, ValueError, OSError, RuntimeError) as error:
        suggest = (isinstance(error, ImageReadError) and Path(error.path).exists()  # a file, not a missing input
                   and not getattr(args, "skip_bad", False))
        hint = " (use --skip-bad to skip unreadable images)" if suggest else ""
        print(f"ddr: error: {error}{hint}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
