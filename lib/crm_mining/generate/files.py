"""File-system helpers through Hadoop's FileSystem API (works for local, HDFS and cloud paths).

Spark names its output files ``part-<uuid>``; the landing zone wants stable names, so files are
written to a staging folder partitioned by their target path and then renamed.
"""

from __future__ import annotations

from urllib.parse import unquote

from pyspark.sql import DataFrame, SparkSession


class HadoopFs:
    """Thin wrapper over ``org.apache.hadoop.fs.FileSystem`` for one root path."""

    def __init__(self, spark: SparkSession, root: str):
        self.jvm = spark.sparkContext._jvm
        self.conf = spark.sparkContext._jsc.hadoopConfiguration()
        self.fs = self.path(root).getFileSystem(self.conf)

    def path(self, text: str):
        return self.jvm.org.apache.hadoop.fs.Path(text)

    def exists(self, text: str) -> bool:
        return bool(self.fs.exists(self.path(text)))

    def has_files(self, text: str) -> bool:
        return self.exists(text) and len(self.fs.listStatus(self.path(text))) > 0

    def delete(self, text: str) -> None:
        if self.exists(text):
            self.fs.delete(self.path(text), True)

    def write_text(self, text: str, content: str) -> None:
        stream = self.fs.create(self.path(text), True)
        try:
            stream.write(bytearray(content.encode("utf-8")))
        finally:
            stream.close()

    def read_text(self, spark: SparkSession, text: str) -> str | None:
        if not self.exists(text):
            return None
        return spark.read.text(text, wholetext=True).first()[0]

    def move_partitions(self, staging: str, dest_root: str) -> list[str]:
        """Rename each ``staging/file=<rel path>/part-*`` to ``dest_root/<rel path>``; return the paths.

        The number of files is bounded by config (days and months of the window), not by data size.
        """
        moved = []
        for status in self.fs.globStatus(self.path(f"{staging}/file=*/part-*")):
            part = status.getPath()
            relative = unquote(part.getParent().getName().removeprefix("file="))
            target = self.path(f"{dest_root.rstrip('/')}/{relative}")
            self.fs.mkdirs(target.getParent())
            self.fs.delete(target, False)
            if not self.fs.rename(part, target):
                raise OSError(f"could not move {part} to {target}")
            moved.append(relative)
        self.delete(staging)
        return sorted(moved)


def write_text_files(
    lines: DataFrame, fs: HadoopFs, dest_root: str, staging: str, partitions: int
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
    rows: DataFrame, fs: HadoopFs, dest_root: str, staging: str, partitions: int, sort_by: str
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
