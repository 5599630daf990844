"""Whatever the mix of orders, the bridge walks exactly from shop to SnelStart."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from koppel import staging
from koppel.reports import reconcile
from koppel.reports.bridge import SHOP_ELIGIBLE, SHOP_PLACED, SNELSTART
from koppel.reports.results import EXPLAINED
from tests.reports import builders as b

PROFILE = b.profile()

order_spec = st.fixed_dictionaries(
    {
        "eligible": st.booleans(),
        "held": st.booleans(),
        "ledger": st.sampled_from([None, "pending", "booked"]),
        "copies": st.integers(min_value=0, max_value=2),
        "delta": st.sampled_from(["0", "0.01", "-0.02", "5.00"]),
        "edited": st.booleans(),
        "day": st.integers(min_value=1, max_value=30),
    }
)


def _unexplained(spec: dict) -> bool:
    """The oracle: which orders no explanation may cover."""
    if spec["copies"] >= 2:
        return True  # booked twice
    if spec["copies"] == 0:
        booked = spec["ledger"] == "booked"
        return spec["eligible"] and not spec["held"] and booked  # removed
    edited = spec["ledger"] is not None and spec["edited"]
    return spec["eligible"] and (edited or spec["delta"] == "5.00")


@settings(max_examples=25, deadline=None)
@given(specs=st.lists(order_spec, max_size=8))
def test_bridge_adds_up_for_any_mix_of_orders(specs):
    import koppel.ledger  # noqa: F401 - registers its tables

    pytest.importorskip("koppel.quarantine")
    held, ledger, quarantined = [], [], []
    with staging.connect(":memory:") as con:
        for order_id, spec in enumerate(specs, start=1):
            b.add_order(
                con,
                order_id,
                eligible=spec["eligible"],
                day=date(2026, 11, spec["day"]),
            )
            if spec["held"]:
                quarantined.append(order_id)
            if spec["ledger"]:
                ledger.append(
                    b.ledger_row(
                        order_id,
                        nummer=order_id,
                        lines=b.regels("121.00"),
                        status=spec["ledger"],
                    )
                )
            price = "100.00" if spec["edited"] else "121.00"
            incl = Decimal("121.00") + Decimal(spec["delta"])
            for copy in range(spec["copies"]):
                held.append(
                    b.verkooporder(
                        order_id,
                        order_id * 10 + copy,
                        incl=str(incl),
                        excl="100.00",
                        lines=b.regels(price),
                        uid=f"00000000-0000-0000-{copy:04d}-{order_id:012d}",
                    )
                )
        if quarantined:
            b.quarantine(con, quarantined, "bad_email")
        if ledger:
            b.write_ledger(con, ledger)
        report = reconcile(
            con,
            held,
            profile=PROFILE,
            since=date(2026, 11, 1),
            until=date(2026, 11, 30),
        )

    steps = [line for line in report.bridge if line.kind != "total"]
    eligible, snelstart = report.line(SHOP_ELIGIBLE), report.line(SNELSTART)
    assert report.line(SHOP_PLACED).incl + steps[0].incl == eligible.incl
    for field in ("incl", "excl"):
        walked = getattr(eligible, field) + sum(getattr(s, field) for s in steps[1:])
        assert walked == getattr(snelstart, field)
    assert snelstart.orders == len(held)
    for difference in report.differences:
        assert difference.explained == (difference.category in EXPLAINED)
    expected = {i for i, spec in enumerate(specs, start=1) if _unexplained(spec)}
    assert {d.order_id for d in report.unexplained} == expected
