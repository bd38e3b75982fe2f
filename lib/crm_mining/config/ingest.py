"""Settings for `crm-mining ingest` (landing -> bronze -> silver)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal

from crm_mining.config.validate import ConfigError

# Encodings a landing text file may have: each byte sequence of a line maps back to its bytes, so lines
# split on "\n" are whole characters (UTF-16 would not be), and Spark's decode() knows them.
TEXT_ENCODINGS = ("UTF-8", "ISO-8859-1")


@dataclass(frozen=True)
class IngestSettings:
    # A new landing column is merged into bronze (true) or the file is rejected naming it (false).
    allow_schema_merge: bool = False
    base_currency: str = "EUR"
    # Units of base currency per unit of the key currency.
    fx_rates: dict[str, float] = field(default_factory=lambda: {"EUR": 1.0, "USD": 0.92, "GBP": 1.17})
    # Amounts above this (base currency) are quarantined as absurd.
    max_amount: float = field(default=1_000_000.0, metadata={"min": 1.0})
    # Records dated more than this many days after the batch's ingest time are quarantined.
    max_future_days: int = field(default=1, metadata={"min": 0})
    # Records dated before this are quarantined (DATE_TOO_OLD): a year 1800 or 0001 is a typo or a
    # placeholder, and ages of 225 or tenures of 2,700 months would follow it into gold.
    min_date: dt.date = dt.date(1900, 1, 1)
    # Transactions equal on (account, amount, timestamp within this window) are near duplicates.
    near_duplicate_seconds: int = field(default=60, metadata={"min": 0})
    # Landing files per micro-batch (maxFilesPerTrigger): bounds a batch's size, its cache and the
    # per-file work on the driver (file list, CSV headers); a larger backlog runs as several batches.
    max_files_per_batch: int = field(default=1000, metadata={"min": 1})
    optimize: bool = True
    # A month the run wrote is Z-ordered once it holds at least this many data files (as Databricks' auto
    # compaction waits for minNumFiles): a first load leaves a few large files per month, and rewriting
    # a month after every daily drop would cost more than the few small files it removes. 1 = every month.
    optimize_min_files: int = field(default=8, metadata={"min": 1})
    # plain: silver and gold carry the bank's own customer_id. token: HMAC-SHA256 of it, keyed by the
    # environment variable token_key_env (never a file); see crm_mining.tokens and docs/ingest.md.
    customer_key: Literal["plain", "token"] = "plain"
    token_key_env: str = "CRM_MINING_TOKEN_KEY"
    # Text encoding of a source's CSV/JSON files, by source name, when it is not UTF-8 (ISO-8859-1 is the
    # one other supported). A line that is not valid UTF-8 in a UTF-8 source is quarantined as BAD_ENCODING.
    encodings: dict[str, str] = field(default_factory=dict)
    # One landing file to take out of ingest for good, and why (`crm-mining ingest --skip-file PATH
    # --reason TEXT`): it moves to landing/_skipped/ and is recorded in ops.skipped_files. For a corrupt
    # file, or one deleted after its stream planned it (the stream would fail on it at every run).
    skip_file: str | None = None
    skip_reason: str | None = None

    def validate(self, path: str) -> None:
        """Rates must be usable before anything is written: a bad rate used to fail at the silver write,
        after bronze had committed. A skipped file needs its reason: the record is the rows' only account."""
        from crm_mining.landing import SOURCES  # late: the contract module needs no config at import

        unknown = sorted(set(self.encodings) - {s.name for s in SOURCES})
        if unknown:
            raise ConfigError(f"'{path}.encodings' names no source: {unknown}")
        bad = {name: enc for name, enc in self.encodings.items() if enc.upper() not in TEXT_ENCODINGS}
        if bad:
            raise ConfigError(f"'{path}.encodings' must be one of {', '.join(TEXT_ENCODINGS)}; got {bad}")
        if self.skip_file and not (self.skip_reason or "").strip():
            raise ConfigError(
                f"'{path}.skip_file' needs '{path}.skip_reason' (--reason TEXT): ops.skipped_files records why"
            )
        bad = {code: rate for code, rate in self.fx_rates.items() if not rate > 0}
        if bad:
            raise ConfigError(f"'{path}.fx_rates' must all be > 0; got {bad}")
        rates = {code.upper(): rate for code, rate in self.fx_rates.items()}
        base = self.base_currency.upper()
        if base not in rates:
            raise ConfigError(
                f"'{path}.base_currency' = {self.base_currency!r} has no rate in '{path}.fx_rates' "
                f"(known: {', '.join(sorted(rates))})"
            )
        if rates[base] != 1.0:
            raise ConfigError(
                f"'{path}.fx_rates' of the base currency {base} must be 1.0 (units of base per unit), got {rates[base]}"
            )
