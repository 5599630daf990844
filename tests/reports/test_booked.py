from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest

from koppel.reports import fetch_verkooporders, verkooporder_filter
from koppel.reports.booked import parse_verkooporder, parse_verkooporders

ID_A = "6f1c2b34-0000-4000-8000-00000000000a"
ID_B = "6f1c2b34-0000-4000-8000-00000000000b"


class FakeClient:
    """Answers ``get_all`` from a list and records the filters asked."""

    def __init__(self, window: list[dict[str, Any]], by_id: list[dict[str, Any]]):
        self.window = window
        self.by_id = by_id
        self.filters: list[str] = []

    def get_all(self, resource: str, *, filter: str | None = None, top=None):
        assert resource == "verkooporders"
        self.filters.append(filter or "")
        if filter and filter.startswith("Datum"):
            return list(self.window)
        return [r for r in self.by_id if r["id"] in (filter or "")]


def test_verkooporder_filter_spans_whole_local_days():
    text = verkooporder_filter(date(2026, 11, 1), date(2026, 11, 30))

    assert text == (
        "Datum ge datetime'2026-11-01T00:00:00' and "
        "Datum lt datetime'2026-12-01T00:00:00'"
    )


def test_verkooporder_filter_one_day_period():
    text = verkooporder_filter(date(2026, 2, 28), datetime(2026, 2, 28, 23, 0))

    assert text.endswith("Datum lt datetime'2026-03-01T00:00:00'")


def test_verkooporder_filter_backwards_period_is_refused():
    with pytest.raises(ValueError):
        verkooporder_filter(date(2026, 11, 2), date(2026, 11, 1))


def test_fetch_verkooporders_widens_the_window_by_the_margin():
    client = FakeClient([{"id": ID_A}], [])

    fetch_verkooporders(client, date(2026, 11, 1), date(2026, 11, 30), margin_days=3)

    assert client.filters == [
        "Datum ge datetime'2026-10-29T00:00:00' and "
        "Datum lt datetime'2026-12-04T00:00:00'"
    ]


def test_fetch_verkooporders_reads_ledger_ids_outside_the_window_by_id():
    client = FakeClient([{"id": ID_A}], [{"id": ID_B}])

    records = fetch_verkooporders(
        client, date(2026, 11, 1), date(2026, 11, 30), ids=[ID_A, ID_B.upper(), "x"]
    )

    assert [r["id"] for r in records] == [ID_A, ID_B]
    assert client.filters[1:] == [f"Id eq guid'{ID_B}'"]


def test_parse_verkooporder_reads_amounts_as_decimal():
    order = parse_verkooporder(
        {
            "id": ID_A.upper(),
            "nummer": 12,
            "datum": "2026-11-10T00:00:00",
            "orderreferentie": " PS-7 ",
            "betalingskenmerk": "",
            "verkooporderBtwIngaveModel": "Inclusief",
            "totaalInclusiefBtw": 24.2,
            "totaalExclusiefBtw": "20.00",
            "regels": [{"artikel": {"id": ID_B}, "aantal": 2, "stuksprijs": 12.1}],
        }
    )

    assert (order.id, order.nummer, order.datum) == (ID_A, 12, date(2026, 11, 10))
    assert (order.orderreferentie, order.betalingskenmerk) == ("PS-7", None)
    assert (order.incl, order.excl) == (Decimal("24.2"), Decimal("20.00"))
    assert order.lines[0].stuksprijs == Decimal("12.1")
    assert order.lines[0].artikel_id == ID_B


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        pytest.param("Inclusief", (Decimal("21.60"), None), id="inclusive"),
        pytest.param("Exclusief", (None, Decimal("21.60")), id="exclusive"),
    ],
)
def test_parse_verkooporder_without_totals_sums_the_lines(model, expected):
    order = parse_verkooporder(
        {
            "id": ID_A,
            "verkooporderBtwIngaveModel": model,
            "regels": [
                {"aantal": "2", "stuksprijs": "12.00", "kortingsPercentage": "10"}
            ],
        }
    )

    assert (order.incl, order.excl) == expected


def test_parse_verkooporders_tolerates_nulls_and_drops_records_without_id():
    orders = parse_verkooporders(
        [
            {"id": ID_A, "nummer": None, "datum": None, "regels": None},
            {"nummer": 5},
            {"id": ID_B, "nummer": "not a number", "datum": "garbage"},
        ]
    )

    assert [(o.id, o.nummer, o.datum, o.lines) for o in orders] == [
        (ID_A, None, None, ()),
        (ID_B, None, None, ()),
    ]
