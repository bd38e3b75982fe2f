"""Delta's jars, once resolved by Ivy, are remembered and reused while every one of them still exists."""

from __future__ import annotations

from crm_mining.config.runtime import LakeSettings
from crm_mining.jars import remember_jars, remembered_jars
from crm_mining.session import local_disk_storage, warehouse_dir

COORDINATE = "io.delta:delta-spark_4.2_2.13:4.4.0"


def test_a_resolution_is_reused_only_while_all_its_jars_exist(tmp_path, monkeypatch):
    monkeypatch.setenv("CRM_MINING_CACHE", str(tmp_path / "cache"))
    delta, storage = tmp_path / "io.delta_delta-spark_4.2_2.13-4.4.0.jar", tmp_path / "delta storage.jar"
    delta.write_bytes(b"jar")
    storage.write_bytes(b"jar")
    assert remembered_jars(COORDINATE, None) is None
    remember_jars(COORDINATE, None, f"file://{delta},file://{str(storage).replace(' ', '%20')}")
    assert remembered_jars(COORDINATE, None) == [str(delta), str(storage)]
    assert remembered_jars(COORDINATE, "/elsewhere/ivy") is None  # another Ivy folder resolves again
    storage.unlink()
    assert remembered_jars(COORDINATE, None) is None


def test_a_session_without_delta_is_not_remembered(tmp_path, monkeypatch):
    monkeypatch.setenv("CRM_MINING_CACHE", str(tmp_path / "cache"))
    other = tmp_path / "other.jar"
    other.write_bytes(b"jar")
    remember_jars(COORDINATE, None, f"file://{other}")
    assert remembered_jars(COORDINATE, None) is None


def test_spark_warehouse_lives_in_the_lake_not_the_working_folder():
    assert warehouse_dir(LakeSettings(root="/data/lake")) == "/data/lake/_spark_warehouse"
    assert warehouse_dir(LakeSettings(root="s3a://bank/lake/")) == "s3a://bank/lake/_spark_warehouse"
    assert warehouse_dir(LakeSettings(mode="catalog", catalog="main")) is None


CHECKPOINT_MANAGER = "spark.sql.streaming.checkpointFileManagerClass"


def test_only_checkpoints_on_a_local_disk_get_the_file_system_checkpoint_manager():
    local = local_disk_storage(LakeSettings(root="./lakehouse"))
    assert local[CHECKPOINT_MANAGER].endswith(".FileSystemBasedCheckpointFileManager")
    assert CHECKPOINT_MANAGER in local_disk_storage(LakeSettings(root="file:///data/lake"))
    on_s3 = local_disk_storage(LakeSettings(root="/data/lake", checkpoints="s3a://bank/checkpoints"))
    assert on_s3 == {}  # Spark's own choice for object storage stays
    assert CHECKPOINT_MANAGER not in local_disk_storage(LakeSettings(root="abfss://lake@bank/crm"))
