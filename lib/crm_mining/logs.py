"""One logging setup for the CLI, jobs and notebooks."""

from __future__ import annotations

import logging


def setup_logging(verbose: bool = False) -> None:
    """Log crm_mining at INFO (DEBUG with verbose); keep py4j's chatter down."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        datefmt="%H:%M:%S",
        force=True,
    )
    logging.getLogger("py4j").setLevel(logging.WARNING)
