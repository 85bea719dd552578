"""Demo roll-ups: rebuilt from whatever demo ledger and invoices were loaded before."""

from reporting.services import rollups_rebuild


def load(*, size: str, stdout) -> str:
    summary = rollups_rebuild()
    return (
        f"roll-ups rebuilt for {summary.months} months "
        f"(income {summary.income:.2f}, expenses {summary.expenses:.2f}, "
        f"outstanding {summary.outstanding:.2f})"
    )
