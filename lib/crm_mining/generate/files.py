"""Writing the landing files through Hadoop's FileSystem API (``crm_mining.hadoop_fs``).

Spark names its output files ``part-<uuid>``; the landing zone wants stable names, so files are
written to a staging folder partitioned by their target path and then renamed.
"""

from __future__ import annotations

from urllib.parse import unquote

from pyspark.sql import DataFrame

from crm_mining.hadoop_fs import HadoopFs


class LandingFs(HadoopFs):
    """HadoopFs plus moving Spark's ``part-*`` output files to stable landing names."""

    def move_partitions(self, staging: str, dest_root: str) -> list[str]:
        """Rename each ``staging/file=<rel path>/part-*`` to ``dest_root/<rel path>``; return the paths.

        The number of files is bounded by config (days and months of the window), not by data size.
        ``dest_root`` is new (generate deletes the landing zone and truth it wrote before writing them
        again), so no target is there to delete first.
        """
        moved, made = [], set()
        for status in self.fs.globStatus(self.path(f"{staging}/file=*/part-*")):
            part = status.getPath()
            relative = unquote(part.getParent().getName().removeprefix("file="))
            self.move(part, f"{dest_root.rstrip('/')}/{relative}", made)
            moved.append(relative)
        self.delete(staging)
        return sorted(moved)


def write_text_files(
    lines: DataFrame, fs: LandingFs, dest_root: str, staging: str, partitions: int
) -> list[str]:
    """Write ``lines`` (file, order, line) as text files named by ``file`` under ``dest_root``.

    Each file's lines go to one task, sorted by (order, line): the header (order 0) comes first and
    the content is deterministic for a given seed.
    """
    (
        lines.repartition(partitions, "file")
        .sortWithinPartitions("file", "order", "line")
        .select("file", "line")
        .write.mode("overwrite")
        .partitionBy("file")
        .text(staging)
    )
    return fs.move_partitions(staging, dest_root)


def write_parquet_files(
    rows: DataFrame, fs: LandingFs, dest_root: str, staging: str, partitions: int, sort_by: str
) -> list[str]:
    """Write ``rows`` (a ``file`` column plus data columns) as one Parquet file per ``file`` value."""
    (
        rows.repartition(partitions, "file")
        .sortWithinPartitions("file", sort_by)
        .write.mode("overwrite")
        .partitionBy("file")
        .parquet(staging)
    )
    return fs.move_partitions(staging, dest_root)
