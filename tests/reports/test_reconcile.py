from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal

import pytest

from koppel.reports import Category, reconcile
from koppel.reports.bridge import SHOP_ELIGIBLE, SHOP_PLACED, SNELSTART, UNEXPLAINED
from tests.reports import builders as b

SINCE, UNTIL = date(2026, 11, 1), date(2026, 11, 30)
PROFILE = b.profile()


def _clean_world(con) -> list[dict]:
    """Orders whose every difference has a known, explained cause."""
    held = []
    # 1: booked as sold, two rates and shipping
    b.add_order(
        con,
        1,
        lines=(("21", "121.00", "100.00"), ("9", "10.90", "10.00")),
        shipping=("21", "6.05", "5.00"),
    )
    lines1 = b.regels("121.00", "10.90", "6.05")
    b.book(con, 1, nummer=1001, lines=lines1)
    held.append(b.verkooporder(1, 1001, incl="137.95", excl="115.00", lines=lines1))
    # 2: the shop total holds a cent the lines do not: a rounding line
    b.add_order(con, 2, lines=(("21", "24.20", "20.00"),), rounding="0.01")
    lines2 = b.regels("24.20", "0.01")
    b.book(con, 2, nummer=1002, lines=lines2)
    held.append(b.verkooporder(2, 1002, incl="24.21", excl="20.01", lines=lines2))
    # 3: quarantined; 4: awaiting payment; never booked
    b.add_order(con, 3)
    b.quarantine(con, 3, "bad_email")
    b.add_order(con, 4, eligible=False)
    # 5: booked, then cancelled in the shop
    b.add_order(con, 5, eligible=False)
    b.book(con, 5, nummer=1005, lines=b.regels("121.00"))
    held.append(
        b.verkooporder(5, 1005, incl="121.00", excl="100.00", lines=b.regels("121.00"))
    )
    # 6: eligible, no ledger row yet; 7: intent written, POST not confirmed
    b.add_order(con, 6)
    b.add_order(con, 7)
    b.book(con, 7, nummer=0, lines=b.regels("121.00"), status="pending")
    # 9: a verkooporder SnelStart holds that no shop order explains
    held.append(
        b.verkooporder(
            None,
            2009,
            incl="50.00",
            excl="41.32",
            lines=b.regels("50.00"),
            orderreferentie="MANUAL-1",
            betalingskenmerk="BANK-77",
        )
    )
    # 10: shop order of October, its verkooporder dated in November
    b.add_order(con, 10, day=date(2026, 10, 1))
    b.book(con, 10, nummer=1010, lines=b.regels("121.00"))
    held.append(
        b.verkooporder(10, 1010, incl="121.00", excl="100.00", lines=b.regels("121.00"))
    )
    return held


def _problem_world(con) -> list[dict]:
    held = _clean_world(con)
    # 8: booked as sold, then a line price was edited in SnelStart
    b.add_order(con, 8)
    b.book(con, 8, nummer=1008, lines=b.regels("121.00"))
    held.append(
        b.verkooporder(8, 1008, incl="100.00", excl="82.64", lines=b.regels("100.00"))
    )
    # 11: booked twice under one orderreferentie
    b.add_order(con, 11)
    b.book(con, 11, nummer=1011, lines=b.regels("121.00"))
    for nummer, uid in ((1011, None), (1012, "11111111-0000-0000-0000-000000000012")):
        held.append(
            b.verkooporder(
                11,
                nummer,
                incl="121.00",
                excl="100.00",
                lines=b.regels("121.00"),
                uid=uid,
            )
        )
    # 12: the ledger says booked, SnelStart no longer has it
    b.add_order(con, 12)
    b.book(con, 12, nummer=1013, lines=b.regels("121.00"))
    # 13: the shop changed the order after it was booked
    b.add_order(con, 13, lines=(("21", "145.20", "120.00"),))
    b.book(con, 13, nummer=1014, lines=b.regels("121.00"), shop_hash="old")
    held.append(
        b.verkooporder(13, 1014, incl="121.00", excl="100.00", lines=b.regels("121.00"))
    )
    return held


def _categories(report) -> dict:
    return {
        (d.order_id if d.order_id is not None else d.snelstart_nummers[0]): d.category
        for d in report.differences
    }


def test_reconcile_clean_world_has_no_unexplained_difference(con):
    report = reconcile(
        con, _clean_world(con), profile=PROFILE, since=SINCE, until=UNTIL
    )

    assert report.is_clean
    assert report.unexplained_incl == 0
    assert report.line(UNEXPLAINED).orders == 0
    # VAT of the eligible orders SnelStart holds (1 and 2), against SnelStart's
    assert report.shop_vat_booked == Decimal("22.95") + Decimal("4.21")
    assert report.snelstart_vat == Decimal("22.95") + Decimal("4.20") + Decimal(
        "21.00"
    ) + Decimal("8.68")
    assert _categories(report) == {
        2: Category.ROUNDING_LINE,
        3: Category.QUARANTINED,
        5: Category.CANCELLED_AFTER_BOOKING,
        6: Category.AWAITING_BOOKING,
        7: Category.AWAITING_BOOKING,
        2009: Category.NOT_FROM_SHOP,
    }


def test_reconcile_problem_world_diagnoses_every_order(con):
    report = reconcile(
        con, _problem_world(con), profile=PROFILE, since=SINCE, until=UNTIL
    )

    categories = _categories(report)
    assert categories[8] is Category.CHANGED_IN_SNELSTART
    assert categories[11] is Category.DUPLICATE_IN_SNELSTART
    assert categories[12] is Category.MISSING_IN_SNELSTART
    assert categories[13] is Category.CHANGED_IN_SHOP
    assert 10 not in categories
    assert {d.order_id for d in report.unexplained} == {8, 11, 12}
    assert report.unexplained_incl == Decimal("21.00") - Decimal("121.00") + Decimal(
        "121.00"
    )


def test_reconcile_bridge_adds_up_from_shop_to_snelstart(con):
    report = reconcile(
        con, _problem_world(con), profile=PROFILE, since=SINCE, until=UNTIL
    )

    placed, eligible = report.line(SHOP_PLACED), report.line(SHOP_ELIGIBLE)
    waiting = report.line(Category.NOT_YET_ELIGIBLE.label)
    assert placed.incl + waiting.incl == eligible.incl
    steps = [line for line in report.bridge if line.kind != "total"][1:]
    for field in ("incl", "excl"):
        reached = getattr(eligible, field) + sum(getattr(s, field) for s in steps)
        assert reached == getattr(report.line(SNELSTART), field)


def test_reconcile_snelstart_total_counts_only_this_periods_orders(con):
    report = reconcile(
        con, _problem_world(con), profile=PROFILE, since=SINCE, until=UNTIL
    )

    # 1, 2, 5, 8, 11 (twice), 13 and the manual order; not October's order 10
    snelstart = report.line(SNELSTART)
    assert snelstart.orders == 8
    assert snelstart.incl == Decimal("137.95") + Decimal("24.21") + Decimal(
        "121.00"
    ) + Decimal("100.00") + 2 * Decimal("121.00") + Decimal("121.00") + Decimal("50")


def test_reconcile_changed_order_detail_names_the_edited_line(con):
    report = reconcile(
        con, _problem_world(con), profile=PROFILE, since=SINCE, until=UNTIL
    )

    changed = next(d for d in report.differences if d.order_id == 8)
    assert "121" in changed.detail and "100" in changed.detail
    assert changed.difference_incl == Decimal("21.00")
    assert not changed.explained


def test_reconcile_edit_in_snelstart_with_equal_total_is_still_unexplained(con):
    b.add_order(con, 1, lines=(("21", "121.00", "100.00"),))
    b.book(con, 1, nummer=1, lines=b.regels("60.50", "60.50"))
    swapped = b.verkooporder(
        1, 1, incl="121.00", excl="100.00", lines=b.regels("100.00", "21.00")
    )

    report = reconcile(con, [swapped], profile=PROFILE, since=SINCE, until=UNTIL)

    assert [(d.order_id, d.category) for d in report.unexplained] == [
        (1, Category.CHANGED_IN_SNELSTART)
    ]


def test_reconcile_without_ledger_matches_betalingskenmerk_to_shop_reference(con):
    b.add_order(con, 1, reference="ABCDEFGHI")
    outside = b.verkooporder(
        None,
        77,
        incl="121.00",
        excl="100.00",
        lines=b.regels("121.00"),
        betalingskenmerk="ABCDEFGHI",
        orderreferentie="manual",
    )

    report = reconcile(con, [outside], profile=PROFILE, since=SINCE, until=UNTIL)

    assert report.differences == []
    assert report.matched == 1


def test_reconcile_shared_reference_of_a_split_cart_matches_nothing(con):
    b.add_order(con, 1, reference="SPLITCART")
    b.add_order(con, 2, reference="SPLITCART")
    outside = b.verkooporder(
        None,
        77,
        incl="121.00",
        excl="100.00",
        lines=b.regels("121.00"),
        betalingskenmerk="SPLITCART",
        orderreferentie="manual",
    )

    report = reconcile(con, [outside], profile=PROFILE, since=SINCE, until=UNTIL)

    assert _categories(report) == {
        1: Category.AWAITING_BOOKING,
        2: Category.AWAITING_BOOKING,
        77: Category.NOT_FROM_SHOP,
    }


@pytest.mark.parametrize(
    ("booked_incl", "expected"),
    [
        pytest.param("121.01", Category.ROUNDING_LINE, id="one-cent"),
        pytest.param("121.02", Category.ROUNDING_LINE, id="at-tolerance"),
        pytest.param("121.03", Category.UNEXPLAINED, id="beyond-tolerance"),
        pytest.param("131.00", Category.UNEXPLAINED, id="ten-euro"),
    ],
)
def test_reconcile_difference_without_ledger_payload_uses_tolerance(
    con, booked_incl, expected
):
    b.add_order(con, 1)
    order = b.verkooporder(1, 1, incl=booked_incl, excl="100.00", lines=[])
    order["betalingskenmerk"] = "REF000001"

    report = reconcile(con, [order], profile=PROFILE, since=SINCE, until=UNTIL)

    assert _categories(report) == {1: expected}


def test_reconcile_groups_per_day_cover_every_day_of_the_period(con):
    report = reconcile(
        con, _clean_world(con), profile=PROFILE, since=SINCE, until=UNTIL
    )

    assert [r.key for r in report.by_day][0] == "2026-11-01"
    assert len(report.by_day) == 30
    tenth = next(r for r in report.by_day if r.key == "2026-11-10")
    # eligible: 1, 2, 3, 6, 7; booked: 1, 2, 5 and the manual order
    assert (tenth.shop_orders, tenth.booked_orders) == (5, 4)


def test_reconcile_groups_per_payment_method(con):
    b.add_order(con, 1, payment="iDEAL")
    b.add_order(con, 2, payment="Bank wire", lines=(("21", "60.50", "50.00"),))

    report = reconcile(con, [], profile=PROFILE, since=SINCE, until=UNTIL)

    rows = {r.key: (r.shop_orders, r.shop_incl) for r in report.by_payment}
    assert rows == {"iDEAL": (1, Decimal("121.00")), "Bank wire": (1, Decimal("60.50"))}


def test_reconcile_vat_split_spreads_discounts_and_keeps_the_residue(con):
    b.add_order(
        con,
        1,
        lines=(("21", "121.00", "100.00"), ("9", "109.00", "100.00")),
        shipping=("21", "12.10", "10.00"),
        discount=("23.00", "20.00"),
        rounding="0.01",
    )

    report = reconcile(con, [], profile=PROFILE, since=SINCE, until=UNTIL)

    split = {v.label: (v.excl, v.vat) for v in report.vat}
    assert split == {
        "21%": (Decimal("99.48"), Decimal("21.52")),
        "9%": (Decimal("90.52"), Decimal("7.58")),
        "rounding": (Decimal("0"), Decimal("0.01")),
    }
    assert sum(v.incl for v in report.vat) == Decimal("219.11")


def test_reconcile_period_is_in_the_shop_timezone(con):
    # 00:30 on 1 November in Amsterdam is still 31 October in UTC
    from datetime import time

    b.add_order(con, 1, day=date(2026, 11, 1), at=time(0, 30))
    b.add_order(con, 2, day=date(2026, 12, 1), at=time(0, 30))

    report = reconcile(con, [], profile=PROFILE, since=SINCE, until=UNTIL)

    assert report.line(SHOP_PLACED).orders == 1


def test_reconcile_naive_datetime_is_refused(con):
    with pytest.raises(ValueError):
        reconcile(con, [], profile=PROFILE, since=datetime(2026, 11, 1), until=UNTIL)


def test_reconcile_until_before_since_is_refused(con):
    with pytest.raises(ValueError):
        reconcile(con, [], profile=PROFILE, since=UNTIL, until=SINCE)


def test_reconcile_report_views_keep_money_exact(con):
    report = reconcile(
        con, _problem_world(con), profile=PROFILE, since=SINCE, until=UNTIL
    )

    data = report.to_dict()
    text = json.dumps(data)
    assert data["unexplained_orders"] == 3
    assert data["unexplained_incl"] == format(report.unexplained_incl, "f")
    assert len(report.to_table_rows()) == len(report.bridge)
    assert report.difference_rows()[0]["explained"] == "NO"
    markdown = report.to_markdown()
    assert "changed_in_snelstart" in markdown and "| unexplained |" in markdown
    assert "e-" not in text  # no float exponent crept in


def test_reconcile_empty_database_reads_as_empty_report():
    import duckdb

    with duckdb.connect(":memory:") as bare:
        report = reconcile(bare, [], profile=PROFILE, since=SINCE, until=UNTIL)

    assert report.is_clean
    assert report.line(SHOP_PLACED).orders == 0
    assert report.notes


def test_reconcile_order_booked_outside_koppel_is_not_compared_with_the_plan(con):
    b.add_order(con, 1)
    b.book(con, 1, nummer=5, lines=b.regels("121.00"), status="external")
    theirs = b.verkooporder(
        1, 5, incl="121.00", excl="100.00", lines=b.regels("60.50", "60.50")
    )

    report = reconcile(con, [theirs], profile=PROFILE, since=SINCE, until=UNTIL)

    assert report.differences == []


def test_booked_snelstart_ids_are_the_periods_booked_orders(con):
    from koppel.reports import booked_snelstart_ids

    _clean_world(con)

    ids = booked_snelstart_ids(con, profile=PROFILE, since=SINCE, until=UNTIL)

    assert ids == [f"00000000-0000-0000-0000-{i:012d}" for i in (1, 2, 5)]


def test_reconcile_record_without_lines_is_judged_by_its_totals(con):
    b.add_order(con, 1)
    b.book(con, 1, nummer=1, lines=b.regels("121.00"))
    summary = b.verkooporder(1, 1, incl="121.00", excl="100.00", lines=[])
    del summary["regels"]

    report = reconcile(con, [summary], profile=PROFILE, since=SINCE, until=UNTIL)

    assert report.differences == []
