"""An ordered, bounded parallel map: decode (and crop, resize) the next images in worker threads while the
encoder works on the current ones.

Why threads: PIL's decoders and torch's kernels release the GIL, so decoding overlaps encoding; bounded so that
at most `workers + ahead` results wait in memory whatever the number of inputs.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def default_workers(device: str = "cpu") -> int:
    """Decoding threads: 2 on a CPU (the encoder needs the cores too), up to 8 beside a GPU."""
    cores = os.cpu_count() or 1
    return max(1, min(8 if device.startswith("cuda") else 2, cores))


def ordered_map(fn: Callable[[T], R], items: Iterable[T], workers: int = 2, ahead: int = 2) -> Iterator[
        tuple[T, Future]]:
    """(item, finished future of fn(item)) in input order, `workers` calls running at a time.

    The caller reads `future.result()`, which re-raises fn's error for that item alone, so it decides whether
    a failure stops the run or is skipped. Results are started at most `workers + ahead` items ahead of the
    caller. Leaving the loop early cancels what has not started.
    """
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    source = iter(items)
    pending: deque[tuple[T, Future]] = deque()
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ddr-decode") as pool:
        try:
            for item in source:
                pending.append((item, pool.submit(fn, item)))
                if len(pending) > workers + ahead:
                    item_done, future = pending.popleft()
                    future.exception()  # wait
                    yield item_done, future
            while pending:
                item_done, future = pending.popleft()
                future.exception()
                yield item_done, future
        finally:
            for _, future in pending:
                future.cancel()
