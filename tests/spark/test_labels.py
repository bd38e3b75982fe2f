"""gold.labels: churn by closure and by inactivity, null without enough future, default at 90+ dpd."""

from __future__ import annotations

import datetime as dt

from pyspark.testing import assertDataFrameEqual

from crm_mining.config import load_config
from crm_mining.features import build_features
from crm_mining.tables import Lake

D = dt.date


def write_lake(spark, config) -> None:
    lake = Lake(config)
    accounts = [
        ("A1", "K1", "DDA", D(2024, 1, 1), D(2025, 3, 10)),  # closes within the Jan horizon
        ("A2", "K2", "DDA", D(2024, 1, 1), None),  # goes silent after 2025-01-20
        ("A3", "K3", "CC", D(2024, 1, 1), None),  # active; defaults at exactly 90 dpd
        ("A4", "K4", "DDA", D(2024, 1, 1), D(2024, 12, 1)),  # already gone at both snapshots
        ("A5", "K5", "DDA", D(2024, 1, 1), D(2025, 5, 1)),  # closes after the Jan horizon, before data end
    ]
    lake.write(
        spark.createDataFrame(
            accounts,
            "account_id string, customer_id string, product_code string, open_date date, close_date date",
        ),
        "silver.accounts",
    )
    days = {
        "K1": [D(2025, 1, 10), D(2025, 3, 1)],
        "K2": [D(2025, 1, 20)],
        "K3": [D(2025, 4, 1), D(2025, 5, 15)],
        "K4": [D(2024, 11, 1)],
        "K5": [D(2025, 4, 10)],
    }
    txns = [
        (c, dt.datetime.combine(d, dt.time(9)), d, d.replace(day=1), 10.0, "DEBIT", f"{c}{d}", f"A{c[1]}")
        for c, ds in days.items()
        for d in ds
    ]
    lake.write(
        spark.createDataFrame(
            txns,
            "customer_id string, txn_ts timestamp, txn_date date, txn_month date, "
            "amount_base double, direction string, txn_id string, account_id string",
        ),
        "silver.transactions",
    )
    repayments = [
        ("A1", "K1", D(2025, 2, 28), 89),
        ("A1", "K1", D(2025, 4, 30), 0),
        ("A3", "K3", D(2025, 3, 31), 90),
        ("A3", "K3", D(2025, 4, 30), 120),
    ]
    lake.write(
        spark.createDataFrame(
            repayments, "account_id string, customer_id string, month_end date, days_past_due int"
        ),
        "silver.repayments",
    )


def test_churn_and_default_labels(spark, config):
    config = load_config(
        overrides=[
            "spark.master=local[2]",
            "features.snapshot_dates=[2025-01-31, 2025-03-31]",
            "labels.churn_horizon_months=3",
            "labels.churn_inactivity_days=90",
            "labels.default_horizon_months=2",
        ],
        lakehouse=config.lake.root,
    )
    write_lake(spark, config)  # data ends 2025-05-15 (last transaction); repayments end 2025-04-30
    build_features(spark, config)
    jan, mar = D(2025, 1, 31), D(2025, 3, 31)
    h_jan, h_mar = (D(2025, 4, 30), D(2025, 3, 31)), (D(2025, 6, 30), D(2025, 5, 31))
    expected = spark.createDataFrame(
        [
            ("K1", jan, 1, 0, *h_jan, "closure"),
            ("K2", jan, 1, 0, *h_jan, "inactivity"),  # no transaction in the 90 days up to 2025-04-30
            ("K3", jan, 0, 1, *h_jan, None),  # dpd exactly 90 on 2025-03-31 counts
            ("K4", jan, None, 0, *h_jan, None),  # all accounts closed before the snapshot: nothing to predict
            ("K5", jan, 0, 0, *h_jan, None),  # closes on 2025-05-01, after the horizon
            ("K1", mar, None, None, *h_mar, None),  # already closed; default horizon beyond the repayments
            ("K2", mar, None, None, *h_mar, None),  # horizon 2025-06-30 is after the data's last day
            ("K3", mar, None, 1, *h_mar, None),  # a default seen before the horizon ends is final
            ("K4", mar, None, None, *h_mar, None),
            ("K5", mar, 1, None, *h_mar, "closure"),  # a closure seen before the data ends is final
        ],
        "customer_id string, snapshot_date date, churn int, default int, churn_horizon_end date, "
        "default_horizon_end date, churn_reason string",
    )
    assertDataFrameEqual(Lake(config).read(spark, "gold.labels"), expected)
