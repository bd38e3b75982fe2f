"""Side-by-side runs of other commits: each commit checked out in a detached git worktree.

The benchmark scripts' ``--commits A,B --rounds N`` run each commit's own script and library from its
worktree, interleaved per round (A, B, A, B), so a shared machine's drift falls on both alike.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def git(*args: str) -> str:
    return subprocess.run(["git", "-C", str(REPO), *args], check=True, capture_output=True, text=True).stdout


@contextmanager
def worktrees(commits: str, workdir: Path) -> Iterator[dict[str, Path]]:
    """``commits`` (comma-separated refs) -> {short hash: its worktree under ``workdir``}; removed after."""
    trees = {}
    for ref in commits.split(","):
        full = git("rev-parse", ref).strip()
        trees[full[:7]] = workdir / f"tree_{full[:7]}"
        shutil.rmtree(trees[full[:7]], ignore_errors=True)
        git("worktree", "add", "--force", "--detach", str(trees[full[:7]]), full)
    try:
        yield trees
    finally:
        for tree in trees.values():
            git("worktree", "remove", "--force", str(tree))
