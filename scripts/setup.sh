#!/usr/bin/env bash
# Installs everything the README's commands need, idempotently:
# a virtualenv at .venv, the pinned packages, and Delta's jars (Ivy, else Maven, else a clear error).
set -euo pipefail
cd "$(dirname "$0")/.."

python_bin="${PYTHON:-python3.11}"
command -v "$python_bin" >/dev/null 2>&1 || python_bin=python3
if ! "$python_bin" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
  echo "setup: Python 3.11 is required ($python_bin is $("$python_bin" --version 2>&1)); set PYTHON=/path/to/python3.11" >&2
  exit 1
fi
command -v java >/dev/null 2>&1 || { echo "setup: Java 17 is required for Spark (apt-get install openjdk-17-jre-headless)" >&2; exit 1; }

if [ ! -x .venv/bin/python ]; then
  "$python_bin" -m venv .venv
fi
stamp=".venv/.installed-$(cat pyproject.toml | sha256sum | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  echo "setup: installing pinned packages into .venv"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e ".[dev]"
  rm -f .venv/.installed-*
  touch "$stamp"
fi
# Debian's Chromium for the report's browser test (tests/spark/test_report_browser.py), when missing.
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing Debian's chromium for the report's browser test"
    apt-get install -y -q chromium >/dev/null || { apt-get update -q >/dev/null && apt-get install -y -q chromium >/dev/null; }
  else
    echo "setup: chromium not installed (needs root and apt-get); the report's browser test will be skipped"
  fi
fi
# Resolve Delta's jars once (cached by Ivy or Maven) so the first job does not pay for it.
.venv/bin/python scripts/warm_delta_jars.py
