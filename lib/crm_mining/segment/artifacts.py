"""The fitted model as an artifact: ``<model_dir>/<version>/pipeline`` (a saved PipelineModel) and
``<model_dir>/<version>/model.json`` (features, log1p columns, k, cluster -> segment id and name, fit facts).

Versions are ``v1``, ``v2``, ...; the highest is the current model. Files go through Hadoop's FileSystem,
so the model directory may be local, HDFS, DBFS or cloud storage.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field

from pyspark.ml import PipelineModel
from pyspark.sql import SparkSession

from crm_mining import CrmMiningError
from crm_mining.config import Config
from crm_mining.config.segment import SegmentSettings
from crm_mining.tables import absolute

VERSION = re.compile(r"^v(\d+)$")


@dataclass(frozen=True)
class ModelInfo:
    version: str
    k: int
    features: list[str]
    categorical_features: list[str]
    log1p_columns: list[str]
    fitted_on_snapshot: str
    fitted_customers: int
    seed: int
    # KMeans cluster index -> segment id (1 = the largest segment at fit time) and name.
    segment_ids: list[int]
    segment_names: list[str]
    k_rule: str
    fitted_at: str
    # The segment.set_apart rules at fit time: [{segment_id, name, when}], ids k+1, k+2, ...
    set_apart: list[dict] = field(default_factory=list)
    extra: dict = field(default_factory=dict)

    def name_of(self, segment_id: int) -> str:
        return self.segment_names[self.segment_ids.index(segment_id)]


def model_dir(config: Config) -> str:
    return absolute(config.segment.model_dir) or f"{absolute(config.lake.root).rstrip('/')}/models/segment"


class ModelStore:
    """Saved segmentation models under one directory."""

    def __init__(self, spark: SparkSession, root: str):
        self.spark = spark
        self.root = root.rstrip("/")
        jvm = spark.sparkContext._jvm
        self.path = jvm.org.apache.hadoop.fs.Path
        self.fs = self.path(self.root).getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())

    def versions(self) -> list[str]:
        """Saved versions with a model.json, oldest first."""
        if not self.fs.exists(self.path(self.root)):
            return []
        names = [s.getPath().getName() for s in self.fs.listStatus(self.path(self.root)) if s.isDirectory()]
        found = [
            n for n in names if VERSION.match(n) and self.fs.exists(self.path(f"{self.root}/{n}/model.json"))
        ]
        return sorted(found, key=lambda n: int(VERSION.match(n).group(1)))

    def next_version(self) -> str:
        names = []
        if self.fs.exists(self.path(self.root)):
            names = [s.getPath().getName() for s in self.fs.listStatus(self.path(self.root))]
        numbers = [int(m.group(1)) for m in map(VERSION.match, names) if m]
        return f"v{max(numbers, default=0) + 1}"

    def save(self, pipeline: PipelineModel, info: ModelInfo) -> str:
        folder = f"{self.root}/{info.version}"
        pipeline.write().overwrite().save(f"{folder}/pipeline")
        stream = self.fs.create(self.path(f"{folder}/model.json"), True)
        try:
            stream.write(bytearray(json.dumps(asdict(info), indent=2).encode("utf-8")))
        finally:
            stream.close()
        return folder

    def load(self, version: str) -> tuple[PipelineModel, ModelInfo]:
        folder = f"{self.root}/{version}"
        text = self.spark.read.text(f"{folder}/model.json", wholetext=True).first()[0]
        info = ModelInfo(**json.loads(text))
        return PipelineModel.load(f"{folder}/pipeline"), info


def set_apart_rules(settings: SegmentSettings, k: int) -> list[dict]:
    return [
        {"segment_id": k + i, "name": r.name, "when": r.when} for i, r in enumerate(settings.set_apart, 1)
    ]


def check_compatible(info: ModelInfo, settings: SegmentSettings) -> None:
    """A saved model scores only data described by the same features, transforms and set-apart rules."""
    saved_rules = [(r["name"], r["when"]) for r in info.set_apart]
    if saved_rules != [(r.name, r.when) for r in settings.set_apart]:
        raise CrmMiningError(
            f"saved segment model {info.version} was fitted with set-apart rules {saved_rules or 'none'}; "
            "segment.set_apart differs: set segment.refit=true"
        )
    same = (
        info.features == settings.features
        and info.categorical_features == settings.categorical_features
        and sorted(info.log1p_columns) == sorted(settings.log1p_columns)
    )
    if not same:
        raise CrmMiningError(
            f"saved segment model {info.version} was fitted on features {info.features} + "
            f"{info.categorical_features} (log1p {info.log1p_columns}); segment.features, "
            "categorical_features or log1p_columns differ: set segment.refit=true"
        )
