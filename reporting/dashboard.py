"""The staff dashboard's figures, built on the same selectors as the API reports, and the
geometry of its chart (inline SVG, no JavaScript or CDN)."""

from decimal import Decimal

from django.utils import timezone

from reporting.selectors import Period, financial_report, monthly_income_expenses

CHART_HEIGHT = 180
BAR_WIDTH = 14
GROUP_WIDTH = 44


def dashboard_context(*, year: int | None = None) -> dict:
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
        "year_report": financial_report(period=Period(year=year)),
        "all_time": financial_report(period=Period()),
        "chart": {
            "width": 40 + 12 * GROUP_WIDTH,
            "height": CHART_HEIGHT + 40,
            "baseline": 10 + CHART_HEIGHT,
            "label_y": CHART_HEIGHT + 28,
            "bar_width": BAR_WIDTH,
            "peak": peak,
        },
    }
