"""File-system helpers through Hadoop's FileSystem API (local, HDFS and cloud paths alike), shared by the
stages that move files: generate (the landing zone) and ingest (skipped landing files)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import closing

from pyspark.sql import SparkSession


class HadoopFs:
    """Thin wrapper over ``org.apache.hadoop.fs.FileSystem`` for one root path."""

    def __init__(self, spark: SparkSession, root: str):
        # The class, looked up once: py4j resolves each segment of ``jvm.org.apache.hadoop.fs.Path`` with
        # its own call to the JVM, five calls per path (generate makes a path per landing file).
        jvm = spark.sparkContext._jvm
        self.path_class, self.uri_class = jvm.org.apache.hadoop.fs.Path, jvm.java.net.URI
        self.reader_classes = (jvm.java.io.BufferedReader, jvm.java.io.InputStreamReader)
        self.conf = spark.sparkContext._jsc.hadoopConfiguration()
        self.fs = self.path(root).getFileSystem(self.conf)

    def path(self, text: str):
        return self.path_class(text)

    def exists(self, text: str) -> bool:
        return bool(self.fs.exists(self.path(text)))

    def uri_path(self, uri: str):
        """The Hadoop Path of a percent-encoded URI, as Spark writes ``source_file`` and the file source's
        checkpoint its paths (``path(uri)`` would encode the ``%`` again)."""
        return self.path_class(self.uri_class(uri))

    def uri_exists(self, uri: str) -> bool:
        return bool(self.fs.exists(self.uri_path(uri)))

    def first_line(self, uri: str) -> str | None:
        """The first line (UTF-8) of the file at ``uri``, read on the driver; None when it is empty."""
        with closing(self.lines(self.uri_path(uri))) as lines:  # closes the file after one line
            return next(lines, None)

    def lines(self, path) -> Iterator[str]:
        """The UTF-8 lines of a small file at ``path`` (a Hadoop Path or a path text), read on the driver."""
        buffered, decoding = self.reader_classes
        stream = self.fs.open(self.path(path) if isinstance(path, str) else path)
        try:
            yield from iter(buffered(decoding(stream, "UTF-8")).readLine, None)
        finally:
            stream.close()

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

    def length(self, text: str) -> int:
        return int(self.fs.getFileStatus(self.path(text)).getLen())

    def move(self, source, target: str, made: set[str] | None = None) -> None:
        """Rename ``source`` (a path text or a Hadoop Path) to ``target``, creating its folder unless it is
        in ``made`` (the folders this caller has created); a rename is atomic on HDFS and local disks."""
        destination = self.path(target)
        folder = target.rsplit("/", 1)[0]
        if made is None or folder not in made:
            self.fs.mkdirs(destination.getParent())
            if made is not None:
                made.add(folder)
        origin = self.path(source) if isinstance(source, str) else source
        if not self.fs.rename(origin, destination):
            raise OSError(f"could not move {source} to {target}")
