"""What `ddr score --metric NAME[,NAME...]` and `ddr list` need from the metric registry, kept out of cli.py so the
command only parses flags: resolving names, one scoring function for a chunk of images, and the listing text."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

from ddr.baselines.registry import PUBLISHED_ONLY_TEXT, create_metric, list_metrics, metric_info


def parse_metric_names(text: str) -> list[str]:
    """'niqe,BRISQUE, ddr' -> registry names in the given order; unknown or repeated names are errors."""
    names = [part.strip() for part in text.split(",") if part.strip()]
    if not names:
        raise ValueError("--metric needs at least one name (see `ddr list`)")
    keys = []
    for name in names:
        try:
            info = metric_info(name)
        except KeyError as error:
            raise ValueError(f"--metric: {error.args[0]}") from None
        if not info.runnable:
            raise ValueError(f"--metric {name}: {info.display_name} is not rerun here ({info.note}); "
                             f"Table 3 shows its {PUBLISHED_ONLY_TEXT}")
        if info.name in keys:
            raise ValueError(f"--metric: {name!r} is given twice")
        keys.append(info.name)
    return keys


def metric_scorer(names: Sequence[str], device, ddr_model: Callable | None = None, backbone: str | None = None,
                  **metric_kwargs) -> tuple[list[str], Callable[[Sequence, list], list[list[str]]]]:
    """(CSV columns after 'path', fn(paths, images) -> one row of repr'd scores per image) for the named metrics;
    an image a metric cannot score (e.g. smaller than NIQE's two 96-px blocks) is a ValueError naming its file.

    `ddr_model()` builds DDR from the command's DDR flags, so `--metric ddr` equals the plain `ddr` column;
    `backbone` (the command's --backbone/--checkpoint spec) is the one the CLIP-IQA variant runs on;
    metric_kwargs (e.g. batch_size) go to the metrics that take them.
    """
    scorers = []
    for name in names:
        if name == "ddr" and ddr_model is not None:
            model = ddr_model()
            batch = metric_kwargs.get("batch_size", 32)  # the plain path's mean over types, to the last bit
            scorers.append(lambda images, m=model: [sum(r) / len(r) for r in
                                                    m.quality_scores(images, batch_size=batch).cpu().tolist()])
        else:
            kwargs = dict(metric_kwargs) if metric_info(name).network else {}
            if backbone and name in ("ddr", "clipiqa"):
                kwargs["backbone"] = backbone
            metric = create_metric(name, device=str(device), **kwargs)
            scorers.append(lambda images, m=metric: m.score_images(images, progress=False).tolist())

    def score_chunk(paths: Sequence, images: list) -> list[list[str]]:
        columns = []
        for name, scorer in zip(names, scorers):
            try:
                columns.append(scorer(images))
            except (RuntimeError, ValueError) as error:  # name the file: rescore one by one to find it
                for path, image in zip(paths, images):
                    try:
                        scorer([image])
                    except (RuntimeError, ValueError) as single:
                        raise ValueError(f"{path}: {name} cannot score it: {single}") from single
                raise ValueError(f"{name} failed on a chunk starting at {paths[0]}: {error}") from error
        return [[repr(float(v)) for v in row] for row in zip(*columns)]

    return list(names), score_chunk


def metric_rows(names_text: str, decoded, batch_size: int, device, ddr_model: Callable | None = None,
                backbone: str | None = None) -> tuple[list[str], Iterator[list[str]]]:
    """(CSV header, lazily scored [path, score...] rows) for `--metric`, over (path, image) pairs, `batch_size`
    images per metric call. Names are checked and the metrics built before the first image is read."""
    names, score_chunk = metric_scorer(parse_metric_names(names_text), device, ddr_model, backbone,
                                       batch_size=batch_size)

    def score(chunk: list) -> Iterator[list[str]]:
        paths = [path for path, _ in chunk]
        for path, values in zip(paths, score_chunk(paths, [image for _, image in chunk])):
            yield [str(path), *values]

    def rows() -> Iterator[list[str]]:
        chunk: list = []
        for item in decoded:
            chunk.append(item)
            if len(chunk) == batch_size:
                yield from score(chunk)
                chunk = []
        if chunk:
            yield from score(chunk)

    return ["path", *names], rows()


def list_lines() -> list[str]:
    """`ddr list`: metrics with direction (and why some are not rerun), backbone specs, degradation prompts."""
    from ddr.backbones.spec import list_backbones
    from ddr.prompts import DEFAULT_TYPES, PROMPTS

    width = max(len(m.name) for m in list_metrics())
    lines = ["metrics (ddr score --metric NAME[,NAME...]):"]
    for m in list_metrics():
        better = "higher is better" if m.direction == "higher_better" else "lower is better"
        flags = ", opinion-aware" if m.opinion_aware else ""
        status = "" if m.runnable else f"  [{PUBLISHED_ONLY_TEXT}]"
        lines.append(f"  {m.name:<{width}}  {better}{flags}  {m.display_name}{status}")
    lines.append("backbones (--backbone SPEC):")
    syntax_width = max(len(kind.syntax) for kind in list_backbones())
    lines += [f"  {kind.syntax:<{syntax_width}}  {kind.description}" for kind in list_backbones()]
    lines.append("degradation types (--types; default " + ",".join(DEFAULT_TYPES) + "):")
    lines += [f"  {t:<9} clean: {clean!r}  degraded: {degraded!r}" for t, (clean, degraded) in PROMPTS.items()]
    return lines


__all__ = ["list_lines", "metric_rows", "metric_scorer", "parse_metric_names"]
