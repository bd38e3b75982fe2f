"""A live display of the pipeline's stages (stage k of n, elapsed time, rows), drawn with ``rich``.

Log lines keep flowing above the display. ``quiet`` (``--quiet``, for schedulers and log files) and a
non-terminal stderr get plain log lines only, one per stage start and end.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

log = logging.getLogger("crm_mining.pipeline")


class StageProgress:
    """Reports stage starts and ends to a rich ``Progress`` (or to the log only when it is None)."""

    def __init__(self, total: int, progress: Progress | None):
        self.total, self.progress = total, progress
        self.task = progress.add_task("starting", total=total) if progress else None

    def start(self, number: int, name: str) -> None:
        log.info("stage %d/%d %s: starting", number, self.total, name)
        if self.progress is not None:
            self.progress.update(self.task, description=f"stage {number}/{self.total}: {name}")

    def finish(self, number: int, name: str, rows: int | None) -> None:
        written = "" if rows is None else f", {rows:,} rows in its tables"
        log.info("stage %d/%d %s: finished%s", number, self.total, name, written)
        if self.progress is not None:
            self.progress.advance(self.task)

    def skip(self, number: int, name: str) -> None:
        log.info("stage %d/%d %s: finished in the run being resumed, not rerun", number, self.total, name)
        if self.progress is not None:
            self.progress.advance(self.task)


@contextmanager
def stage_progress(total: int, quiet: bool = False) -> Iterator[StageProgress]:
    console = Console(stderr=True)
    if quiet or not console.is_terminal:
        yield StageProgress(total, None)
        return
    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    # sys.stderr is read after Progress has started: it is then rich's proxy, so log lines print above
    # the live display instead of through it.
    with Progress(*columns, console=console, redirect_stderr=True) as progress, logs_through(sys.stderr):
        yield StageProgress(total, progress)


@contextmanager
def logs_through(stream) -> Iterator[None]:
    handlers = [h for h in logging.getLogger().handlers if isinstance(h, logging.StreamHandler)]
    previous = [h.setStream(stream) for h in handlers]
    try:
        yield
    finally:
        for handler, old in zip(handlers, previous, strict=True):
            if old is not None:  # setStream returns None when the stream was already this one
                handler.setStream(old)
