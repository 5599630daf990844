"""Server-computed totals of verkooporders (incl./excl. VAT, dated rates)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from koppel.sandbox.snelstart.compute import (
    compute_line_total,
    compute_totals,
    rate_on,
)
from koppel.sandbox.snelstart.seed import BTWTARIEVEN

from .conftest import Api, order_body

D = Decimal
TARIEVEN = [
    {"btwSoort": s, "btwPercentage": D(p), "datumVanaf": f, "datumTotEnMet": t}
    for s, p, f, t in BTWTARIEVEN
]


@pytest.mark.parametrize(
    ("regel", "on_unit", "expected"),
    [
        ({"stuksprijs": "89.95", "aantal": 2}, False, "179.90"),
        (
            {"stuksprijs": "35", "aantal": 100, "kortingsPercentage": 10},
            False,
            "3150.00",
        ),
        ({"stuksprijs": "3.33", "aantal": "1.5"}, False, "5.00"),
        ({"stuksprijs": "0.05", "aantal": 10, "kortingsPercentage": 50}, False, "0.25"),
        ({"stuksprijs": "0.05", "aantal": 10, "kortingsPercentage": 50}, True, "0.30"),
        ({"stuksprijs": "-5.00", "aantal": 1}, False, "-5.00"),
        ({"stuksprijs": "12.50"}, False, "12.50"),
    ],
    ids=[
        "plain",
        "discount",
        "fraction",
        "line-discount",
        "unit-discount",
        "neg",
        "no-qty",
    ],
)
def test_line_total(regel, on_unit, expected):
    assert compute_line_total(regel, discount_on_unit_price=on_unit) == D(expected)


@pytest.mark.parametrize(
    ("soort", "day", "rate"),
    [
        ("Hoog", "2012-09-30", "19"),
        ("Hoog", "2012-10-01", "21"),
        ("Laag", "2018-12-31", "6"),
        ("Laag", "2019-01-01", "9"),
        ("Geen", "2024-05-01", "0"),
        ("Overig", "2024-05-01", "0"),
    ],
)
def test_rate_on_picks_the_window_holding_the_day(soort, day, rate):
    assert rate_on(TARIEVEN, soort, datetime.fromisoformat(day)) == D(rate)


def test_rate_on_without_window_raises():
    with pytest.raises(LookupError):
        rate_on(TARIEVEN, "Hoog", datetime(1990, 1, 1))


def test_totals_inclusive_take_vat_out_of_gross_sums():
    regels = [{"stuksprijs": "89.95", "aantal": 2}, {"stuksprijs": "6.95"}]
    totals = compute_totals(regels, ["Hoog", "Hoog"], {"Hoog": D(21)}, inclusive=True)
    assert totals.incl == D("186.85")
    assert totals.excl == D("154.42")
    assert totals.per_kind == {"Hoog": (D("154.42"), D("32.43"))}


def test_totals_exclusive_add_vat_per_kind():
    regels = [{"stuksprijs": "100"}, {"stuksprijs": "50"}, {"stuksprijs": "10"}]
    rates = {"Hoog": D(21), "Laag": D(9), "Geen": D(0)}
    totals = compute_totals(regels, ["Hoog", "Laag", "Geen"], rates, inclusive=False)
    assert totals.excl == D("160.00")
    assert totals.incl == D("185.50")


def test_totals_factuurkorting_applies_before_vat():
    totals = compute_totals(
        [{"stuksprijs": "100"}],
        ["Hoog"],
        {"Hoog": D(21)},
        inclusive=False,
        factuurkorting=D(10),
    )
    assert (totals.excl, totals.incl) == (D("90.00"), D("108.90"))


money = st.decimals(min_value=D("-500"), max_value=D("500"), places=2)
kinds = st.sampled_from(["Hoog", "Laag", "Geen"])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(money, st.integers(1, 9), kinds), min_size=1, max_size=8))
def test_totals_inclusive_keep_the_gross_sum(lines):
    regels = [{"stuksprijs": p, "aantal": q} for p, q, _ in lines]
    rates = {"Hoog": D(21), "Laag": D(9), "Geen": D(0)}
    totals = compute_totals(regels, [k for *_, k in lines], rates, inclusive=True)
    assert totals.incl == sum(totals.line_totals)
    vat = sum(v for _, v in totals.per_kind.values())
    assert totals.incl - totals.excl == vat


def _post(api: Api, **overrides) -> dict:
    response = api.post("/verkooporders", order_body(api, **overrides))
    assert response.status_code == 201, response.text
    return response.json()


def test_api_order_inclusive_totals(api: Api):
    order = _post(api)
    assert [r["totaal"] for r in order["regels"]] == [179.90, 6.95]
    assert order["totaalInclusiefBtw"] == 186.85
    assert order["totaalExclusiefBtw"] == 154.42


def test_api_order_before_rate_change_uses_historic_rate(api: Api):
    trui = api.one("artikelen", "Artikelcode eq 'MWS'")["id"]
    regels = [{"artikel": {"id": trui}, "stuksprijs": 100, "aantal": 1}]
    old = _post(
        api,
        datum="2012-09-30T00:00:00",
        verkooporderBtwIngaveModel="Exclusief",
        regels=regels,
    )
    new = _post(
        api,
        datum="2012-10-01T00:00:00",
        verkooporderBtwIngaveModel="Exclusief",
        regels=regels,
    )
    assert (old["totaalInclusiefBtw"], new["totaalInclusiefBtw"]) == (119.00, 121.00)


def test_api_order_vat_follows_article_omzetgroep(api: Api):
    ids = {
        code: api.one("artikelen", f"Artikelcode eq '{code}'")["id"]
        for code in ("KPB-01", "VERLEGD")
    }
    regels = [
        {"artikel": {"id": ids["KPB-01"]}, "stuksprijs": 100},
        {"artikel": {"id": ids["VERLEGD"]}, "stuksprijs": 100},
        {"omschrijving": "Tekstregel zonder artikel", "stuksprijs": 10},
    ]
    order = _post(
        api,
        datum="2018-06-01T00:00:00",
        verkooporderBtwIngaveModel="Exclusief",
        regels=regels,
    )
    assert order["totaalExclusiefBtw"] == 210.00
    assert order["totaalInclusiefBtw"] == 216.00  # 6 % laag in 2018, rest 0


def test_api_order_fills_price_and_description_from_article(api: Api):
    trui = api.one("artikelen", "Artikelcode eq 'MWS'")
    order = _post(api, regels=[{"artikel": {"id": trui["id"]}, "aantal": 1}])
    regel = order["regels"][0]
    assert regel["omschrijving"] == trui["omschrijving"]
    assert regel["stuksprijs"] == trui["verkoopprijs"]


def test_api_order_pricing_follows_template_when_not_given(api: Api):
    sjablonen = {
        s["omschrijving"]: s["id"] for s in api.get("/verkoopordersjablonen").json()
    }
    body = order_body(api)
    del body["verkooporderBtwIngaveModel"]
    for name, expected in (
        ("Standaard", "Exclusief"),
        ("Webshop (incl. btw)", "Inclusief"),
    ):
        body["verkoopordersjabloon"] = {"id": sjablonen[name]}
        order = api.post("/verkooporders", body).json()
        assert order["verkooporderBtwIngaveModel"] == expected


def test_api_order_put_recomputes_totals(api: Api):
    order = _post(api)
    order["regels"] = order["regels"][:1]
    updated = api.put(f"/verkooporders/{order['id']}", order).json()
    assert updated["totaalInclusiefBtw"] == 179.90
    assert updated["nummer"] == order["nummer"]
