"""A local lakehouse that cannot be written is named before Spark starts, in one line (#12): a file where a
folder should be, a read-only file system, no permission. Left to Spark, the same run fails later, deep in
a Hadoop call, as "unexpected Py4JJavaError"."""

from __future__ import annotations

from pathlib import Path

from crm_mining import CrmMiningError
from crm_mining.config import Config
from crm_mining.tables import URI_SCHEME

PROBE = ".crm-mining-write-check"


class LakehouseNotWritable(CrmMiningError):
    """The lakehouse (or its landing or checkpoint folder) is not a folder this run can write."""


def local_folders(config: Config) -> list[Path]:
    """The lake's local folders; URIs (s3a://, abfss://, dbfs:/) answer for themselves."""
    lake = config.lake
    if lake.mode != "path":
        return []
    folders = (lake.root, lake.landing_dir(), lake.checkpoint_dir())
    return list(dict.fromkeys(Path(f) for f in folders if not URI_SCHEME.match(f)))


def first_file_on(path: Path) -> Path:
    """The first component of ``path`` that exists as a file (what stops a folder being made there)."""
    for part in [*reversed(path.parents), path]:
        if part.exists() and not part.is_dir():
            return part
    return path


def check_lakehouse_writable(config: Config) -> None:
    """Create each local lake folder and write (then remove) a probe file in it, or say why not."""
    for folder in local_folders(config):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            probe = folder / PROBE
            probe.write_bytes(b"")
            probe.unlink()
        except (FileExistsError, NotADirectoryError):
            raise LakehouseNotWritable(
                f"lakehouse folder {folder} cannot be made: {first_file_on(folder)} is a file, not a folder"
            ) from None
        except OSError as exc:
            raise LakehouseNotWritable(
                f"lakehouse folder {folder} cannot be written: {exc.strerror or exc} "
                f"(a read-only file system, or no permission for this user)"
            ) from None
