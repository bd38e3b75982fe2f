"""Configuration: YAML in conf/, validated on load, overridable from the command line.

``load_config(path, overrides, lakehouse)`` returns a frozen ``Config``. The built-in
defaults are the local environment (``conf/local.yaml`` states them explicitly).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from crm_mining.config.complaints import ComplaintSettings
from crm_mining.config.cube import CubeSettings
from crm_mining.config.features import FeatureSettings, InputSettings, LabelSettings, RfmSettings
from crm_mining.config.fraud import FraudSettings
from crm_mining.config.generate import GenerateSettings
from crm_mining.config.ingest import IngestSettings
from crm_mining.config.lifecycle import BacktestSettings, LifecycleSettings, ValueSettings
from crm_mining.config.models import ModelSettings
from crm_mining.config.pipeline import PipelineSettings
from crm_mining.config.report import ReportSettings
from crm_mining.config.rules import RulesSettings
from crm_mining.config.runtime import LakeSettings, SparkSettings
from crm_mining.config.segment import SegmentSettings
from crm_mining.config.validate import ConfigError, build

__all__ = ["Config", "ConfigError", "load_config", "parse_override"]


@dataclass(frozen=True)
class Config:
    # Which environment this file is for; informational (the session detects where it runs).
    env: Literal["local", "cluster", "databricks"] = "local"
    spark: SparkSettings = field(default_factory=SparkSettings)
    lake: LakeSettings = field(default_factory=LakeSettings)
    generate: GenerateSettings = field(default_factory=GenerateSettings)
    ingest: IngestSettings = field(default_factory=IngestSettings)
    input: InputSettings = field(default_factory=InputSettings)
    features: FeatureSettings = field(default_factory=FeatureSettings)
    labels: LabelSettings = field(default_factory=LabelSettings)
    rfm: RfmSettings = field(default_factory=RfmSettings)
    lifecycle: LifecycleSettings = field(default_factory=LifecycleSettings)
    value: ValueSettings = field(default_factory=ValueSettings)
    fraud: FraudSettings = field(default_factory=FraudSettings)
    backtest: BacktestSettings = field(default_factory=BacktestSettings)
    rules: RulesSettings = field(default_factory=RulesSettings)
    segment: SegmentSettings = field(default_factory=SegmentSettings)
    complaints: ComplaintSettings = field(default_factory=ComplaintSettings)
    models: ModelSettings = field(default_factory=ModelSettings)
    pipeline: PipelineSettings = field(default_factory=PipelineSettings)
    cube: CubeSettings = field(default_factory=CubeSettings)
    report: ReportSettings = field(default_factory=ReportSettings)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def load_config(
    path: str | Path | None = None,
    overrides: list[str] | None = None,
    lakehouse: str | None = None,
) -> Config:
    """Load ``path`` (YAML; None = built-in local defaults), apply ``--set`` overrides and ``--lakehouse``."""
    data = read_yaml(Path(path)) if path else {}
    for override in overrides or []:
        key, value = parse_override(override)
        set_dotted(data, key, value)
    if lakehouse:
        set_dotted(data, "lake.root", lakehouse)
    return build(Config, data)


def read_yaml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise ConfigError(f"config file not found: {path}")
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"config file {path} is not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"config file {path} must hold a mapping of sections")
    return data


def parse_override(text: str) -> tuple[str, Any]:
    """Parse ``section.key=value``; the value is read as YAML (numbers, booleans, lists)."""
    key, sep, raw = text.partition("=")
    if not sep or not key.strip() or "." not in key and key.strip() != "env":
        raise ConfigError(f"--set expects section.key=value, got {text!r}")
    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError:
        value = raw
    return key.strip(), value


def set_dotted(data: dict[str, Any], key: str, value: Any) -> None:
    *parents, leaf = key.split(".")
    node = data
    for i, part in enumerate(parents):
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise ConfigError(f"cannot set '{key}': '{'.'.join(parents[: i + 1])}' is not a section")
        node = child
    node[leaf] = value
