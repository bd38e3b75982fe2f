"""Resolve Delta's jars once (cached by Ivy or Maven) so the first job does not pay for it; setup.sh runs it.

It starts and stops one local session with the default config. It lives here, not in ``crm_mining.jars``,
because it needs the session builder, which itself uses ``jars``.
"""

from __future__ import annotations

from crm_mining.config import load_config
from crm_mining.jars import DeltaJarsError
from crm_mining.session import get_spark


def warm() -> None:
    spark = get_spark(load_config(overrides=["spark.master=local[1]"]))
    jars = [j for j in spark.sparkContext.getConf().get("spark.jars", "").split(",") if j]
    spark.stop()
    delta = next((j for j in jars if "delta-spark" in j), "none")
    print(f"Delta jars ready: {len(jars)} jars, {delta}")


if __name__ == "__main__":
    try:
        warm()
    except DeltaJarsError as error:
        raise SystemExit(f"setup: {error}") from None
