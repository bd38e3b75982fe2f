"""Landing files for ingest tests: writers for each format and one small landing zone with every fault."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from crm_mining.landing import SOURCES, source

CUSTOMER_HEADER = source("customers").columns
TXN_COLUMNS = source("transactions").columns
# The transactions and the sources their validation reads (product codes, customers, accounts): enough for
# a test about the transaction streams, without the fixed batch time of every other source.
TRANSACTIONS_AND_PARENTS = ("products", "customers", "accounts", "transactions")
# The same plus interactions: the sources with customer-keyed rows and free text, without balances and
# repayments (their streams would only add their fixed batch time).
TRANSACTIONS_INTERACTIONS_AND_PARENTS = (*TRANSACTIONS_AND_PARENTS, "interactions")


def copy_landing(from_lakehouse: Path, to_lakehouse: Path, sources: tuple[str, ...]) -> None:
    """``from_lakehouse``'s landing files of ``sources``; the other sources' folders are there, empty (a
    source without its folder is a failed source)."""
    for each in SOURCES:
        if each.name in sources:
            shutil.copytree(from_lakehouse / "landing" / each.name, to_lakehouse / "landing" / each.name)
        else:  # every stream's folder: transactions has two (csv, parquet)
            for stream in each.streams:
                (to_lakehouse / "landing" / stream.folder).mkdir(parents=True)


def land_base_sources(lakehouse: Path, sources: tuple[str, ...], scratch: Path) -> None:
    """``base_landing``'s files of ``sources`` only, in ``lakehouse``'s landing zone (``scratch`` holds the
    whole of it first)."""
    base_landing(scratch / "landing")
    copy_landing(scratch, lakehouse, sources)


def customer(cid: str, join_date: str = "2024-05-01", birth: str = "1980-02-03") -> list[str]:
    return [cid, "Ann", "Lee", birth, "F", "single", "clerk", "secondary", "North", "B2", join_date,
            "+34 600 111 222", "X123", "1 Main St, Town", "ann@example.com"]  # fmt: skip


def write_csv(path: Path, header: list[str], rows: list[list[str] | str], encoding: str = "utf-8") -> None:
    """Rows are cell lists (quoted when they hold a comma) or raw lines written as they are."""
    path.parent.mkdir(parents=True, exist_ok=True)

    def line(row: list[str] | str) -> str:
        if isinstance(row, str):
            return row
        return ",".join(f'"{c}"' if "," in c else c for c in row)

    path.write_text("\n".join([",".join(header), *map(line, rows)]) + "\n", encoding=encoding)


def write_json_lines(path: Path, rows: list[dict | str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r) for r in rows) + "\n")


def write_parquet(path: Path, rows: list[dict]) -> None:
    """All-string Parquet, as the contract says banks' extract tools deliver."""
    path.parent.mkdir(parents=True, exist_ok=True)
    columns = list(rows[0])
    table = pa.table({c: pa.array([r.get(c) for r in rows], pa.string()) for c in columns})
    pq.write_table(table, path)


def txn(tid, account="A1", ts="2025-01-02 10:00:00", amount="10.0", currency="EUR", direction="DEBIT",
        customer_id="C1", channel="POS", category="GROCERY") -> list[str]:  # fmt: skip
    return [tid, account, customer_id, ts, amount, currency, direction, channel, category]


def account(aid, cid, product="DDA", currency="EUR", limit=None, status="ACTIVE") -> dict:
    return {"account_id": aid, "customer_id": cid, "product_code": product, "open_date": "2024-06-01",
            "close_date": None, "status": status, "balance": 12.5, "credit_limit": limit, "currency": currency}  # fmt: skip


def base_landing(root: Path) -> None:
    """Valid records plus one bad record of every kind."""
    write_csv(root / "products/products.csv", ["product_code", "product_name", "category", "is_credit"],
              [["DDA", "Current account", "DEPOSIT", "false"], ["CC", "Credit card", "CREDIT", "true"],
               ["PL", "Personal loan", "LOAN", "true"]])  # fmt: skip
    write_csv(root / "customers/customers.csv", CUSTOMER_HEADER, [
        customer("C1"), customer("C2"), customer(" C3 "),
        customer(""),                       # MISSING_ID
        customer("C4", join_date="2025-13-40"),  # BAD_DATE
        "C5,only,three",                    # MALFORMED_ROW
        customer("C1"),                     # DUPLICATE
    ])  # fmt: skip
    write_json_lines(root / "accounts/accounts.json", [
        account("A1", "C1"), account("A2", "C2", "cc ", "USD", limit="1000"), account("A3", "C3", "PL", "GBP"),
        account("A9", "C9"),                # ORPHAN (unknown customer)
        account("A8", "C1", "XYZ"),         # UNKNOWN_CODE
        account("A6", "C1", limit="-500"),  # NEGATIVE_AMOUNT (silver's CHECK would refuse it)
        '{"account_id": "A7", broken',      # MALFORMED_ROW
    ])  # fmt: skip
    write_csv(root / "balances/balances.csv", ["account_id", "customer_id", "month_end", "balance", "credit_limit",
                                                "currency"],
              [["A1", "C1", "2025-01-31", "100.5", "", "EUR"], ["A2", "C2", "2025-01-31", "-20", "1000", "USD"],
               ["A3", "C3", "2025-01-31", "lots", "", "GBP"]])  # fmt: skip
    write_csv(root / "transactions/csv/drop_date=2025-01-02/part-0.csv", TXN_COLUMNS, [
        txn("T1"), txn("T2", "A2", amount="20", currency="usd", customer_id="C2"),
        txn("T3", amount="abc"),            # BAD_NUMBER
        txn("T4", amount="-5"),             # NEGATIVE_AMOUNT
        txn("T5", amount="5e7"),            # ABSURD_AMOUNT
        txn("T6", ts="2099-01-01 00:00:00"),  # FUTURE_DATE
        txn("T7", currency="XXX"),          # UNKNOWN_CODE
        txn("T8", account="A99"),           # ORPHAN
        txn("T1"),                          # DUPLICATE
        txn("T9", "A2", ts="2025-01-02 10:00:30", amount="20", currency="USD", customer_id="C2"),  # NEAR_DUPLICATE
        txn("T10", ts="2025-02-30 10:00:00"),  # BAD_DATE
        txn("T12", ts="1800-01-02 10:00:00"),  # DATE_TOO_OLD
        "T11,A1,C1,2025-01-02 11:00:00,5.0",  # MALFORMED_ROW
    ])  # fmt: skip
    write_parquet(root / "transactions/parquet/drop_date=2025-01-03/part-0.parquet", [
        dict(zip(TXN_COLUMNS, txn("T20", "A3", "2025-01-03 09:00:00", "7", "GBP", "CREDIT", "C3"), strict=True)),
        dict(zip(TXN_COLUMNS, txn(None, "A3", "2025-01-03 09:30:00"), strict=True)),  # MISSING_ID
    ])  # fmt: skip
    write_csv(root / "repayments/repayments.csv", ["account_id", "customer_id", "month_end", "amount_due",
                                                    "amount_paid", "days_past_due"],
              [["A2", "C2", "2025-01-31", "100", "50", "0"], ["A2", "C2", "2025-02-28", "100", "0", "-3"]])  # fmt: skip
    write_csv(
        root / "customers/customers_extra.csv",
        [*CUSTOMER_HEADER, "loyalty_tier"],
        [[*customer("C6"), "GOLD"]],
    )  # SCHEMA_DRIFT (rejected: allow_schema_merge is off)
    write_json_lines(root / "interactions/interactions_extra.json", [
        {"interaction_id": "I3", "customer_id": "C1", "interaction_ts": "2025-01-06 08:00:00", "kind": "SERVICE",
         "channel": "PHONE", "text": "ok", "sentiment": "happy"},  # SCHEMA_DRIFT
    ])  # fmt: skip
    write_json_lines(root / "interactions/interactions.json", [
        {"interaction_id": "I1", "customer_id": "C1", "interaction_ts": "2025-01-05 08:00:00", "kind": "complaint",
         "channel": "PHONE", "text": "call me on +44 20 7946 0958 or ann.lee@example.com, or write to C/Mayor 12 (DNI 12.345.678-Z) please"},
        {"interaction_id": "I2", "customer_id": "C404", "interaction_ts": "2025-01-05 08:00:00", "kind": "INQUIRY",
         "channel": "ONLINE", "text": "hi"},  # ORPHAN
    ])  # fmt: skip


def landing_records(root: Path) -> dict[str, int]:
    """Records per source in a landing folder, counted straight from the files (not by ingest).

    The source is the first folder under ``root`` (``transactions/csv/drop_date=.../x.csv`` belongs to
    transactions); see ``file_records`` for what a record is.
    """
    counts: dict[str, int] = {}
    for path in sorted(root.rglob("*")):
        parts = path.relative_to(root).parts
        if not path.is_file() or any(part.startswith((".", "_")) for part in parts):
            continue  # checksums, markers and staging folders are not landed data
        counts[parts[0]] = counts.get(parts[0], 0) + file_records(path)
    return counts


def file_records(path: Path) -> int:
    """CSV: lines after the header; JSON lines: lines; Parquet: rows."""
    if path.suffix == ".parquet":
        return pq.ParquetFile(path).metadata.num_rows
    # Lines end as Hadoop's line reader ends them: \n, \r or \r\n. Only the last line's end is not a
    # record: "a\n" is one line, "a\n\n" two (the second empty, and quarantined as such).
    data = path.read_bytes()
    lines = len(re.split(rb"\r\n|\r|\n", re.sub(rb"(\r\n|\r|\n)\Z", b"", data, count=1))) if data else 0
    return lines - (1 if path.suffix == ".csv" else 0)
