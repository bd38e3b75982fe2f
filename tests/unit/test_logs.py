"""The CLI's logging setup (no Spark)."""

from __future__ import annotations

import io
import logging
import sys

from crm_mining.logs import setup_logging


def test_log_lines_go_to_the_current_stderr_after_the_one_at_setup_is_closed(monkeypatch):
    """A notebook cell or a test replaces and closes stderr after setup; the next line must reach the new
    stderr, not raise 'I/O operation on closed file' and print a 'Logging error' traceback there."""
    at_setup = io.StringIO()
    monkeypatch.setattr(sys, "stderr", at_setup)
    setup_logging()
    at_setup.close()
    now = io.StringIO()
    monkeypatch.setattr(sys, "stderr", now)
    logging.getLogger("crm_mining.test").info("batch %s written", "b-1")
    assert "INFO crm_mining.test: batch b-1 written" in now.getvalue()
    assert "Logging error" not in now.getvalue()
