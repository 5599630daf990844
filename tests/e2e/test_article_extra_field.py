"""The shop's article code kept in a SnelStart extra field, end to end."""

from __future__ import annotations

import pytest

from koppel import pipeline

pytestmark = pytest.mark.slow

FIELD = "webshopcode"
OVERRIDE = f"""
[mapping.overrides]
articles = {{ "code.field" = "extra_field", "code.extra_field" = "{FIELD}" }}
"""


def _book(world) -> dict:
    ctx = pipeline.open_context(str(world.profile), pipeline.new_run_id())
    return pipeline.run_once(ctx)


def _tagged(world) -> dict[str, dict]:
    """The sandbox's artikelen by the value of their `webshopcode` field."""
    found = {}
    for artikel in world.administration.list("artikelen"):
        for extra in artikel.get("extraVelden") or ():
            if extra.get("naam") == FIELD:
                found[extra["waarde"]] = artikel
    return found


def test_extra_field_mode_tags_artikelen_and_books_each_order_once(world):
    with world.profile.open("a", encoding="utf-8") as profile:
        profile.write(OVERRIDE)
    before = world.administration.count("artikelen")

    first = _book(world)
    assert first["loaded"] > 0
    tagged = _tagged(world)
    assert tagged, "booked lines' artikelen carry the shop code in the extra field"
    assert all(a["artikelcode"] == code for code, a in tagged.items())
    artikelen = world.administration.count("artikelen")
    orders = world.administration.count("verkooporders")
    assert artikelen - before == first["articles_created"]

    second = _book(world)
    assert second["loaded"] == 0
    assert second["articles_created"] == 0
    assert world.administration.count("artikelen") == artikelen
    assert world.administration.count("verkooporders") == orders
    assert _tagged(world).keys() == tagged.keys()
