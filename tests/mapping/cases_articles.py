"""Golden cases for articles.yaml: code source and field, processing, new articles."""

from __future__ import annotations

from tests.mapping.factory import artikel, customer, line, make_order, snapshot
from tests.mapping.golden_case import Case


def _trui_and_new() -> list:
    return [
        make_order(
            1,
            [
                line(1, "MWS-M", "Merino wollen trui - Maat : M", 1, "89.95",
                     attribute_id=3, ean="8712340001014", base_reference="MWS"),
                line(2, "SJAAL-L", "Lange sjaal alpaca", 1, "49.00",
                     ean="8712340001069"),
                line(3, "BOEK-KL", "Kleurboek voor kinderen", 2, "6.95", "9",
                     ean="8712340001090"),
            ],
        )
    ]  # fmt: skip


def _extra_field_snapshot():
    snap = snapshot()
    snap.artikelen.append(
        {
            **artikel("4711", "Lange sjaal (alpaca)", "40.50", 1, 50),
            "extraVelden": [{"naam": "webshopcode", "waarde": "SJAAL-L"}],
        }
    )
    return snap


CASES = [
    Case(
        "articles_code_combination_reference",
        "the line's own reference (the combination's) is the code; unknown "
        "articles are created with the omzetgroep of their VAT kind and the "
        "price basis of companyInfo (excl.)",
        _trui_and_new,
    ),
    Case(
        "articles_code_product_reference",
        "all combinations share the product's reference (MWS, created); lines "
        "without a combination keep their own reference",
        _trui_and_new,
        {"articles": {"code.source": "product_reference"}},
    ),
    Case(
        "articles_code_ean13",
        "the EAN-13 is the code",
        _trui_and_new,
        {"articles": {"code.source": "ean13"}},
    ),
    Case(
        "articles_code_custom",
        "a custom template over line fields makes the code",
        _trui_and_new,
        {
            "articles": {
                "code.source": "custom",
                "code.custom": {"template": "PS{line.product_id}"},
            }
        },
    ),  # fmt: skip
    Case(
        "articles_code_extra_field",
        "SnelStart keeps the shop code in extra field `webshopcode`: SJAAL-L "
        "is found as article 4711; a new article carries the extra field",
        _trui_and_new,
        {"articles": {"code.field": "extra_field", "code.extra_field": "webshopcode"}},
        snap=_extra_field_snapshot,
    ),
    Case(
        "articles_code_missing",
        "a line without a reference cannot be booked: quarantined",
        lambda: [make_order(1, [line(1, None, "Losse knoop", 1, "1.50")])],
    ),
    Case(
        "articles_processing_manual",
        "manual: known articles are used, an unknown one quarantines the order",
        _trui_and_new,
        {"articles": {"processing": "manual"}},
    ),
    Case(
        "articles_processing_add_and_update",
        "description and price follow the shop: WW-250 gets a new price (PUT), "
        "KPB-01 is unchanged (use), SJAAL-L is created",
        lambda: [
            make_order(
                1,
                [
                    line(1, "WW-250", "Wolwasmiddel 250 ml (nieuw)", 1, "13.95"),
                    line(
                        2,
                        "KPB-01",
                        "Breipatronenboek",
                        1,
                        "8.50",
                        "9",
                        unit_excl="7.80",
                    ),
                    line(3, "SJAAL-L", "Lange sjaal alpaca", 1, "49.00"),
                ],
            )
        ],  # fmt: skip
        {"articles": {"processing": "add_and_update"}},
    ),
    Case(
        "articles_new_price_basis_incl",
        "price_basis incl: new articles get the shop's price including VAT",
        _trui_and_new,
        {"articles": {"new_articles.price_basis": "incl"}},
    ),
    Case(
        "articles_new_omzetgroep_by_nummer",
        "omzetgroepen named by nummer instead of omschrijving",
        _trui_and_new,
        {"articles": {"new_articles.omzetgroep": {"Hoog": 1, "Laag": 2, "default": 1}}},
    ),
    Case(
        "articles_new_omzetgroep_unknown",
        "an omzetgroep SnelStart does not have quarantines orders that need a "
        "new article of that kind",
        _trui_and_new,
        {"articles": {"new_articles.omzetgroep.Laag": "Omzet boeken"}},
    ),
    Case(
        "articles_numeric_artikelcodes",
        "an administration with numeric artikelcodes refuses a new "
        "alphanumeric code: quarantined before SnelStart says ART-0003",
        _trui_and_new,
        snap=lambda: snapshot(
            company_info={"artikelcodeSoort": "Numeriek", "artikelcodeMaxLengte": 10}
        ),
    ),
    Case(
        "articles_new_price_basis_company_info_incl",
        "company_info says SnelStart's prices include VAT: new articles get the "
        "shop's incl. price",
        _trui_and_new,
        snap=lambda: snapshot(
            company_info={"verkoopprijsArtikelbestandExclusiefBtw": False}
        ),
    ),
    Case(
        "articles_new_price_basis_excl",
        "price_basis excl overrides companyInfo: the excl. price",
        _trui_and_new,
        {"articles": {"new_articles.price_basis": "excl"}},
        snap=lambda: snapshot(
            company_info={"verkoopprijsArtikelbestandExclusiefBtw": False}
        ),
    ),
    Case(
        "articles_new_description",
        "the description of new articles is a rule value",
        _trui_and_new,
        {
            "articles": {
                "new_articles.description": {
                    "template": "{line.product_name} (webshop)"
                }
            }
        },
    ),  # fmt: skip
    Case(
        "articles_failed_order_leaves_no_actions",
        "an order that cannot be planned leaves no article or relatie actions: "
        "order 1's new article and new customer are not in the plan",
        lambda: [
            make_order(
                1,
                [
                    line(1, "NIEUW-1", "Nieuw", 1, "10.00"),
                    line(2, "NIEUW-2", "Raar tarief", 1, "10.00", "13"),
                ],
                cust=customer(1, "nieuw@example.nl"),
            ),
            make_order(2, [line(1, "WW-250", "Wolwasmiddel", 1, "12.95")]),
        ],
    ),  # fmt: skip
]
