"""crm-mining: customer relationship mining for banks on PySpark and Delta Lake.

Importing this package never starts Spark; build a session with
``crm_mining.session.get_spark`` and pass it in.
"""

__version__ = "0.1.0"


class CrmMiningError(Exception):
    """An error with a message meant for the person running the job (no stack trace needed)."""


class NotBuiltYet(CrmMiningError):
    """Raised by a capability whose issue has not landed yet."""

    def __init__(self, what: str, issue: str):
        super().__init__(f"{what} is not built yet (tracked by the issue '{issue}').")


def first_line(error: BaseException) -> str:
    """An error's first line of text (Spark's and Java's messages go on for pages), else its type's name."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
