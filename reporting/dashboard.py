"""The staff dashboard's figures, built on the same selectors as the API reports, and the
geometry of its chart (inline SVG, no JavaScript or CDN)."""

from decimal import Decimal

from django.utils import timezone

from reporting.selectors import (
    Period,
    aging_report,
    cash_position,
    financial_report,
    monthly_income_expenses,
    open_tickets_by_priority,
    overdue_invoices,
    receivables_summary,
    recent_payments,
)

AGING_LABELS = {
    "current": "Not yet due",
    "days_1_30": "1–30 days",
    "days_31_60": "31–60 days",
    "days_61_90": "61–90 days",
    "days_90_plus": "Over 90 days",
}

CHART_HEIGHT = 180
BAR_WIDTH = 14
GROUP_WIDTH = 44


def dashboard_widgets(*, today=None) -> dict:
    """The "as of today" widgets of the index page and the dashboard: each is one selector
    call and one query (tests/reporting/test_admin_dashboard.py holds them to it)."""
    today = today or timezone.localdate()
    aging = aging_report(today=today)["totals"]
    return {
        "today": today,
        "cash_position": cash_position(),
        "receivables": receivables_summary(today=today),
        "overdue_invoices": overdue_invoices(today=today),
        "aging": [{"label": label, "amount": aging[key]} for key, label in AGING_LABELS.items()],
        "aging_total": aging["total"],
        "recent_payments": recent_payments(),
        "open_tickets": open_tickets_by_priority(),
    }


def dashboard_context(*, year: int | None = None) -> dict:
    """The year's figures and chart (three queries)."""
    chart = chart_context(year=year)
    return {
        **chart,
        "year_report": financial_report(period=Period(year=chart["year"])),
        "all_time": financial_report(period=Period()),
    }


def chart_context(*, year: int | None = None) -> dict:
    """Income vs expenses by month of the year, as SVG bar geometry (one query)."""
    year = year or timezone.localdate().year
    series = monthly_income_expenses(year=year)
    peak = max([row["income"] for row in series] + [row["expenses"] for row in series])
    scale = Decimal(CHART_HEIGHT) / peak if peak > 0 else Decimal(0)
    bars = []
    for index, row in enumerate(series):
        x = 40 + index * GROUP_WIDTH
        income_h = int(row["income"] * scale)
        expense_h = int(row["expenses"] * scale)
        bars.append(
            {
                **row,
                "x_income": x,
                "x_expense": x + BAR_WIDTH + 2,
                "x_label": x + BAR_WIDTH,
                "income_height": income_h,
                "expense_height": expense_h,
                "income_y": 10 + CHART_HEIGHT - income_h,
                "expense_y": 10 + CHART_HEIGHT - expense_h,
            }
        )
    return {
        "year": year,
        "series": bars,
        "chart": {
            "width": 40 + 12 * GROUP_WIDTH,
            "height": CHART_HEIGHT + 40,
            "baseline": 10 + CHART_HEIGHT,
            "label_y": CHART_HEIGHT + 28,
            "bar_width": BAR_WIDTH,
            "peak": peak,
        },
    }
