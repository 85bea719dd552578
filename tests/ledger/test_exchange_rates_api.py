"""`GET/POST /api/v2/exchange-rates` (contract section 13), and transactions on a
foreign-currency account taking the rate of their date like documents do."""

import datetime
from decimal import Decimal

import pytest

from audit.models import AuditEvent
from core.currencies import CURRENCY_INVALID
from ledger.models import ExchangeRate, Transaction
from tests.ledger.factories import AccountFactory, TransactionFactory

pytestmark = pytest.mark.django_db

URL = "/api/v2/exchange-rates"


def add(api, currency="EUR", date="2024-03-01", rate="1.084512"):
    return api.post(URL, {"currency": currency, "date": date, "rate": rate}, format="json")


def test_a_rate_is_recorded_and_shown_with_six_decimals(api):
    response = add(api)

    data = response.json()["data"]
    assert response.status_code == 201
    assert (data["currency"], data["date"], data["rate"]) == ("EUR", "2024-03-01", 1.084512)
    assert ExchangeRate.objects.get().rate == Decimal("1.084512")
    assert AuditEvent.objects.filter(action="exchange_rate.created").count() == 1


def test_one_rate_per_currency_and_date(api):
    add(api, rate="1.08")

    response = add(api, rate="1.09")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["date"]
    assert ExchangeRate.objects.get().rate == Decimal("1.08")


def test_the_base_currency_has_no_rate_to_record(api):
    response = add(api, currency="USD", rate="1")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["currency"]
    assert not ExchangeRate.objects.exists()


@pytest.mark.parametrize("code", ["eur", "€", "XXX-unknown", "ZZZ", ""])
def test_the_currency_is_an_iso_code_in_capitals(api, code):
    response = add(api, currency=code)

    assert response.status_code == 400
    assert response.json()["errors"] == {"currency": CURRENCY_INVALID}
    assert not ExchangeRate.objects.exists()


@pytest.mark.parametrize("rate", ["0", "-1.2", "1.0000001", "abc", "1e400"])
def test_the_rate_is_a_positive_number_with_at_most_six_decimals(api, rate):
    response = add(api, rate=rate)

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["rate"]
    assert not ExchangeRate.objects.exists()


def test_rates_are_final(api):
    row_id = add(api).json()["data"]["id"]

    assert api.patch(f"{URL}/{row_id}", {"rate": "2"}, format="json").status_code == 405
    assert api.delete(f"{URL}/{row_id}").status_code == 405
    assert ExchangeRate.objects.get().rate == Decimal("1.084512")


def test_rates_filter_by_currency_and_dates(api):
    add(api, "EUR", "2024-01-01", "1.1")
    add(api, "EUR", "2024-02-01", "1.2")
    add(api, "CHF", "2024-02-01", "1.05")
    add(api, "EUR", "2024-03-01", "1.3")

    response = api.get(f"{URL}?currency=EUR&date_from=2024-01-15&date_to=2024-02-29")

    assert [(r["currency"], r["date"]) for r in response.json()["data"]] == [("EUR", "2024-02-01")]


def test_rates_list_as_csv(api):
    add(api)

    response = api.get(f"{URL}?format=csv")

    assert response.status_code == 200
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert lines[0] == "id,currency,date,rate,created_at"
    assert ",EUR,2024-03-01,1.084512," in lines[1]


@pytest.mark.parametrize("size", [1, 30])
def test_the_list_query_count_is_constant(api, size, django_assert_max_num_queries):
    for day in range(size):
        ExchangeRate.objects.create(
            currency="EUR", date=datetime.date(2024, 1, 1) + datetime.timedelta(days=day), rate=1
        )

    with django_assert_max_num_queries(6):
        response = api.get(f"{URL}?limit=100")

    assert len(response.json()["data"]) == size


# --- transactions on a foreign-currency account ------------------------------------------------


def record(api, account, date="2024-03-10", **extra):
    body = {"type": "Income", "account_id": account.pk, "amount": "100.00", "date": date}
    return api.post("/api/v2/transactions", {**body, **extra}, format="json")


def test_a_transaction_takes_the_rate_of_its_accounts_currency_on_its_date(api):
    add(api, "EUR", "2024-03-01", "1.08")
    add(api, "EUR", "2024-03-11", "1.50")

    response = record(api, AccountFactory(currency="EUR"))

    assert response.status_code == 201
    assert response.json()["data"]["exchange_rate"] == 1.08


def test_a_base_currency_transaction_has_rate_1(api):
    assert record(api, AccountFactory(currency="USD")).json()["data"]["exchange_rate"] == 1


def test_a_foreign_transaction_without_a_known_rate_is_a_400_on_exchange_rate(api):
    response = record(api, AccountFactory(currency="EUR"))

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["exchange_rate"]
    assert not Transaction.objects.exists()


def test_a_transaction_may_give_its_own_rate(api):
    response = record(api, AccountFactory(currency="EUR"), exchange_rate="1.123456")

    assert response.json()["data"]["exchange_rate"] == 1.123456


def test_a_transaction_moved_to_another_date_takes_that_dates_rate(api):
    add(api, "EUR", "2024-03-01", "1.08")
    add(api, "EUR", "2024-04-01", "1.20")
    txn_id = record(api, AccountFactory(currency="EUR")).json()["data"]["id"]

    response = api.patch(f"/api/v2/transactions/{txn_id}", {"date": "2024-04-05"}, format="json")

    assert response.json()["data"]["exchange_rate"] == 1.2


def test_a_move_to_a_date_without_a_rate_changes_nothing(api):
    add(api, "EUR", "2024-03-01", "1.08")
    txn_id = record(api, AccountFactory(currency="EUR")).json()["data"]["id"]

    response = api.patch(f"/api/v2/transactions/{txn_id}", {"date": "2024-02-05"}, format="json")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["exchange_rate"]
    txn = Transaction.objects.get()
    assert (txn.date, txn.exchange_rate) == (datetime.date(2024, 3, 10), Decimal("1.08"))


def test_a_transfer_between_foreign_accounts_needs_no_known_rate(api):
    source, target = AccountFactory(currency="EUR"), AccountFactory(currency="EUR")

    response = api.post(
        "/api/v2/transfers",
        {
            "from_account_id": source.pk,
            "to_account_id": target.pk,
            "amount": "10.00",
            "date": "2024-03-10",
        },
        format="json",
    )

    assert response.status_code == 201
    assert [leg["exchange_rate"] for leg in response.json()["data"]["transactions"]] == [
        None,
        None,
    ]


def test_existing_rows_kept_rate_1(api):
    txn = TransactionFactory()

    assert Transaction.objects.get(pk=txn.pk).exchange_rate == 1
