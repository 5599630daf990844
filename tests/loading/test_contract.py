"""Every call a load makes fits SnelStart's OpenAPI definition."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from koppel.loading import LoadOptions, execute_plan
from koppel.sandbox.snelstart.contract import (
    ContractTransport,
    default_spec_path,
    load_contract,
)
from koppel.snelstart.client import SnelstartClient
from tests.loading.conftest import CLIENTKEY, SUBSCRIPTION_KEY
from tests.loading.plans import booking, build_plan, seeded


@pytest.fixture
def contract():
    try:
        return load_contract()
    except FileNotFoundError:
        pytest.skip(f"SnelStart OpenAPI definition absent at {default_spec_path()}")


def test_load_every_request_and_answer_fits_the_contract(env, contract):
    profile = env.make_profile(env.url, loading={"on_change": "update"})
    transport = ContractTransport(contract)
    client = SnelstartClient(
        profile.snelstart,
        clientkey=SecretStr(CLIENTKEY),
        subscription_key=SecretStr(SUBSCRIPTION_KEY),
        transport=transport,
    )
    env.clients.append(client)
    plan = build_plan(
        seeded(client), range(1, 9), new_customer_every=3, new_article_every=4
    )
    options = LoadOptions(settle_seconds=0.0)
    env.faults(drop_next=1)  # one ambiguous POST: a look-up follows
    with env.connect(profile) as con:
        first = execute_plan(client, con, plan, profile=profile, run_id="a")
        plan.orders[0] = booking(1, omschrijving="Gewijzigd")
        second = execute_plan(
            client, con, plan, profile=profile, run_id="b", options=options
        )
    assert len(first.loaded) == 8 and second.updated == [1]
    methods = {(c.method, c.path.rsplit("/", 1)[-1]) for c in transport.calls}
    assert ("POST", "verkooporders") in methods and ("POST", "relaties") in methods
    assert ("POST", "artikelen") in methods
    assert any(c.method == "PUT" for c in transport.calls)
    assert transport.problems == []
