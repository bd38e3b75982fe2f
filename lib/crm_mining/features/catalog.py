"""The one place where every gold.customer_features column is documented: name, type, meaning, input.

``feature_catalog(settings)`` lists the columns for a ``FeatureSettings`` (window lists make some names,
e.g. ``txn_count_90d``). The builder selects and casts its output through this list, so the table's schema
is the catalog; ``markdown_table()`` renders it for docs/features.md (a test checks the doc matches).

``needs`` names the input a column comes from: ``transactions`` (always there), an optional transaction
column (``channel``, ``merchant_category``, ``product_code``) or a lake table (``silver.accounts``, ...).
When an input is missing the column is left out, except ``key`` columns (the ones the lifecycle stage
relies on), which stay in the table as nulls.
"""

from __future__ import annotations

from dataclasses import dataclass

from crm_mining.config.complaints import ComplaintSettings
from crm_mining.config.features import FeatureSettings
from crm_mining.domain import CHANNELS, MERCHANT_CATEGORIES, PRODUCT_CODES

PRODUCTS = PRODUCT_CODES
CATEGORIES = MERCHANT_CATEGORIES
# Windows the lifecycle stage relies on: always built whatever the configured lists say.
REQUIRED_ACTIVITY_WINDOWS = (90,)


@dataclass(frozen=True)
class FeatureColumn:
    name: str
    type: str  # Spark SQL type
    group: str
    meaning: str
    needs: str = "transactions"
    key: bool = False  # relied on by the lifecycle stage: kept (null) when its input is missing


def activity_windows(settings: FeatureSettings, rfm_window_days: int | None = None) -> list[int]:
    """Day windows for counts and spend: the configured ones, the RFM window and the required ones."""
    windows = set(settings.rfm_windows_days) | set(REQUIRED_ACTIVITY_WINDOWS)
    if rfm_window_days:
        windows.add(rfm_window_days)
    return sorted(windows)


def feature_catalog(
    settings: FeatureSettings, rfm_window_days: int | None = None, topic_count: int | None = None
) -> list[FeatureColumn]:
    """Every customer_features column, in table order; ``topic_count`` (complaints.topic_count, default
    the complaints stage's) names the complaint topic share columns."""
    c = FeatureColumn
    cols = [
        c(
            "customer_id",
            "string",
            "key",
            "the bank's own customer id, or its HMAC token with ingest.customer_key: token (docs/ingest.md)",
            key=True,
        ),
        c(
            "snapshot_date",
            "date",
            "key",
            "snapshot date: every column uses only data dated on or before it",
            key=True,
        ),
        c("age_years", "int", "demographics", "snapshot year minus birth_year", "silver.customers"),
        *[
            c(
                n,
                "string",
                "demographics",
                f"{n.replace('_', ' ')} as in silver.customers",
                "silver.customers",
            )
            for n in ("gender", "marital_status", "occupation", "education", "region", "income_band")
        ],
        c(
            "tenure_months",
            "int",
            "demographics",
            "whole months from join_date (or, without silver.customers, the first transaction or account "
            "opening) to the snapshot",
            key=True,
        ),
        c(
            "product_count",
            "int",
            "holdings",
            "distinct products held (opened on/before the snapshot, not closed by it)",
            "silver.accounts",
            key=True,
        ),
        c(
            "products",
            "array<string>",
            "holdings",
            "sorted distinct product codes held",
            "silver.accounts",
            key=True,
        ),
        c(
            "active_product_count",
            "int",
            "holdings",
            "held products with a transaction in the 90 days up to the snapshot",
            "silver.accounts",
            key=True,
        ),
        c("account_count", "int", "holdings", "accounts open at the snapshot", "silver.accounts"),
        c(
            "closed_account_count",
            "int",
            "holdings",
            "accounts closed on or before the snapshot",
            "silver.accounts",
        ),
        c(
            "all_accounts_closed",
            "boolean",
            "holdings",
            "true when the customer opened accounts and none is open at the snapshot",
            "silver.accounts",
            key=True,
        ),
        *[
            c(f"has_{p.lower()}", "int", "holdings", f"1 if product {p} is held, else 0", "silver.accounts")
            for p in PRODUCTS
        ],
        c(
            "balance_total",
            "double",
            "balances",
            "sum of month-end balances (base currency) at the snapshot's month end; 0 without balance rows",
            "silver.balances",
            key=True,
        ),
        c(
            "balance_deposit",
            "double",
            "balances",
            "month-end balance on non-credit products",
            "silver.balances",
        ),
        c(
            "balance_credit",
            "double",
            "balances",
            "month-end balance (absolute) on credit products (CC, PL, AUTO, MORTGAGE)",
            "silver.balances",
        ),
        c(
            "credit_limit_total",
            "double",
            "balances",
            "sum of credit limits at the snapshot's month end",
            "silver.balances",
        ),
        c(
            "balance_3m_avg",
            "double",
            "trends",
            "total balance averaged over the 3 month ends up to the snapshot (missing months count 0; null "
            "when none of them has a row)",
            "silver.balances",
            key=True,
        ),
        c(
            "balance_prev_3m_avg",
            "double",
            "trends",
            "the same over the 3 month ends before those",
            "silver.balances",
            key=True,
        ),
        c(
            "balance_trend",
            "double",
            "trends",
            "balance_3m_avg / balance_prev_3m_avg; null if the base is <= 0",
            "silver.balances",
            key=True,
        ),
        c(
            "recency_days",
            "int",
            "rfm",
            "days from the last transaction to the snapshot; null = never",
            key=True,
        ),
    ]
    for w in activity_windows(settings, rfm_window_days):
        cols += [
            c(
                f"txn_count_{w}d",
                "bigint",
                "rfm",
                f"transactions (any direction) in the {w} days up to the snapshot",
                key=w in REQUIRED_ACTIVITY_WINDOWS,
            ),
            c(
                f"spend_{w}d",
                "double",
                "rfm",
                f"DEBIT amount (base currency) in the {w} days up to the snapshot",
            ),
            c(f"inflow_{w}d", "double", "rfm", f"CREDIT amount in the {w} days up to the snapshot"),
        ]
    cols += [
        c(
            "spend_3m",
            "double",
            "trends",
            "DEBIT amount in the 3 calendar months up to the snapshot",
            key=True,
        ),
        c("spend_prev_3m", "double", "trends", "DEBIT amount in the 3 months before those", key=True),
        c(
            "spend_trend",
            "double",
            "trends",
            "spend_3m / spend_prev_3m; null if spend_prev_3m is 0",
            key=True,
        ),
        c("txn_count_3m", "bigint", "trends", "transactions in the 3 months up to the snapshot"),
        c("txn_count_prev_3m", "bigint", "trends", "transactions in the 3 months before those"),
        c("txn_count_trend", "double", "trends", "txn_count_3m / txn_count_prev_3m; null if the base is 0"),
    ]
    mix = f"in the {settings.mix_window_days} days up to the snapshot; null without transactions"
    cols += [
        c(f"channel_share_{ch.lower()}", "double", "mix", f"share of transactions via {ch} {mix}", "channel")
        for ch in CHANNELS
    ]
    cols.append(
        c(
            "channel_share_other",
            "double",
            "mix",
            f"share of transactions via other channels {mix}",
            "channel",
        )
    )
    cols += [
        c(
            f"category_share_{cat.lower()}",
            "double",
            "mix",
            f"share of DEBIT amount in {cat} {mix}",
            "merchant_category",
        )
        for cat in CATEGORIES
    ]
    cols.append(
        c(
            "category_share_unknown",
            "double",
            "mix",
            f"share of DEBIT amount with another or no category {mix}",
            "merchant_category",
        )
    )
    cols.append(
        c(
            "credit_utilisation",
            "double",
            "credit",
            "credit balance / credit limit at the snapshot's month end; null without a limit",
            "silver.balances",
        )
    )
    cols += [
        c(
            f"max_dpd_{m}m",
            "int",
            "credit",
            f"worst days past due in the {m} months up to the snapshot; 0 without repayment rows",
            "silver.repayments",
        )
        for m in sorted(set(settings.dpd_windows_months))
    ]
    for w in sorted(set(settings.contact_windows_days)):
        cols += [
            c(
                f"complaint_count_{w}d",
                "bigint",
                "contacts",
                f"COMPLAINT interactions in the {w} days up to the snapshot",
                "silver.interactions",
            ),
            c(
                f"contact_count_{w}d",
                "bigint",
                "contacts",
                f"interactions of any kind in the {w} days up to the snapshot",
                "silver.interactions",
            ),
        ]
    cols += complaint_text_columns(settings.complaint_window_days, topic_count)
    return cols


def complaint_text_columns(window_days: int, topic_count: int | None) -> list[FeatureColumn]:
    """Columns from gold.interaction_insights (the complaints stage): negative complaints and topic shares.

    Left out, as any column of a missing input, when the complaints stage has not run (an all-null column
    would stop the models' median imputer); 0 for a customer without texts in the window.
    """
    k = ComplaintSettings().topic_count if topic_count is None else topic_count
    w, needs = window_days, "gold.interaction_insights"
    return [
        FeatureColumn(
            f"negative_complaint_count_{w}d",
            "bigint",
            "complaint texts",
            f"complaints scored negative by the complaints stage in the {w} days up to the snapshot",
            needs,
        ),
        *[
            FeatureColumn(
                f"complaint_topic_{t}_share_{w}d",
                "double",
                "complaint texts",
                f"share of the customer's interactions in the {w} days up to the snapshot whose LDA topic is "
                f"{t} (gold.complaint_topics names its terms); 0 without interactions",
                needs,
            )
            for t in range(k)
        ],
    ]


def markdown_table(settings: FeatureSettings | None = None, rfm_window_days: int | None = None) -> str:
    """The catalog as a Markdown table (docs/features.md embeds it for the default settings)."""
    rows = ["| column | type | group | needs | meaning |", "|---|---|---|---|---|"]
    for col in feature_catalog(settings or FeatureSettings(), rfm_window_days):
        name = f"**{col.name}**" if col.key else col.name
        rows.append(f"| {name} | {col.type} | {col.group} | {col.needs} | {col.meaning} |")
    return "\n".join(rows) + "\n"


DOC_START, DOC_END = "<!-- catalog:start -->", "<!-- catalog:end -->"


def doc_with_catalog(text: str) -> str:
    """``text`` (docs/features.md) with the part between the catalog markers replaced by ``markdown_table()``."""
    head, start, rest = text.partition(DOC_START)
    _, end, tail = rest.partition(DOC_END)
    if not start or not end:
        raise ValueError(f"the document lacks the {DOC_START} ... {DOC_END} markers")
    return f"{head}{DOC_START}\n{markdown_table()}{DOC_END}{tail}"


if __name__ == "__main__":  # python -m crm_mining.features.catalog docs/features.md: regenerate the table
    import sys
    from pathlib import Path

    doc = Path(sys.argv[1])
    doc.write_text(doc_with_catalog(doc.read_text()))
