from __future__ import annotations

from dataclasses import dataclass

import pytest

from koppel.ops import artifacts
from koppel.ops.artifacts import QuarantinedOrder


def test_artifact_key_is_lower_case_dashes_per_profile():
    assert (
        artifacts.artifact_key("Shop_NL", "run-summary") == "koppel-shop-nl-run-summary"
    )
    assert artifacts.artifact_key("a--b", "x") == "koppel-a-b-x"


def test_summary_table_has_counts_stage_times_and_calls():
    summary = {
        "extracted": 10,
        "validated": 9,
        "quarantined": 2,
        "loaded": 7,
        "skipped": 1,
        "customers_created": 3,
        "articles_created": 4,
        "requests_prestashop": 12,
        "calls_snelstart": 30,
        "stage_seconds": {"extract": 1.234, "load": 2.0},
        "calls": {"POST verkooporders": 7},
    }
    rows = {r["figure"]: r["value"] for r in artifacts.summary_table(summary)}
    assert rows["orders extracted"] == 10
    assert rows["orders validated"] == 9
    assert rows["orders quarantined"] == 2
    assert rows["orders loaded"] == 7
    assert rows["orders skipped"] == 1
    assert rows["customers created"] == 3
    assert rows["articles created"] == 4
    assert rows["seconds in extract"] == 1.23
    assert rows["seconds in load"] == 2.0
    assert rows["HTTP calls to PrestaShop"] == 12
    assert rows["HTTP calls to SnelStart"] == 30
    assert rows["SnelStart POST verkooporders"] == 7


@dataclass
class Entry:
    order_id: int
    reason: str
    field: str | None = None
    value: str | None = None


def test_normalise_quarantined_groups_entries_and_mappings():
    entries = [
        Entry(5, "bad_email", "email", "jan@@x"),
        Entry(5, "bad_postcode", "postcode"),
        Entry(2, "no_lines"),
    ]
    assert artifacts.normalise_quarantined(entries) == [
        QuarantinedOrder(2, ("no_lines",), ()),
        QuarantinedOrder(5, ("bad_email", "bad_postcode"), ("email", "postcode")),
    ]
    assert artifacts.normalise_quarantined({"7": ["total_mismatch"]}) == [
        QuarantinedOrder(7, ("total_mismatch",))
    ]


def test_quarantine_markdown_lists_reasons_but_never_values():
    orders = artifacts.normalise_quarantined(
        [Entry(5, "bad_email", "email", "jan@example.com")]
    )
    text = artifacts.quarantine_markdown("demo", "run-1", orders)
    assert "| 5 |" in text
    assert "bad_email" in text
    assert "jan@example.com" not in text


def test_quarantine_markdown_says_so_when_empty():
    assert "No order was quarantined" in artifacts.quarantine_markdown("demo", "r", [])


def test_order_events_carry_ids_and_nummer_only():
    events = artifacts.order_events(
        "demo", "run-1", {11: 2042}, [QuarantinedOrder(12, ("bad_vat_number",))]
    )
    booked, quarantined = events
    assert booked.event == artifacts.EVENT_BOOKED
    assert booked.resource["koppel.order.id"] == "11"
    assert booked.resource["koppel.snelstart.nummer"] == "2042"
    assert booked.resource["prefect.resource.id"] == "koppel.order.demo.11"
    assert quarantined.event == artifacts.EVENT_QUARANTINED
    assert quarantined.payload == {"run_id": "run-1", "reasons": ["bad_vat_number"]}


@pytest.mark.parametrize("booked", [[3, 4], (3, 4)], ids=["list", "tuple"])
def test_order_events_accept_bare_ids(booked):
    events = artifacts.order_events("demo", "r", booked, [])
    assert [e.resource["koppel.order.id"] for e in events] == ["3", "4"]
    assert all("koppel.snelstart.nummer" not in e.resource for e in events)
