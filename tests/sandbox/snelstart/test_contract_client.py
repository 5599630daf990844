"""koppel's SnelStart client against the sandbox, every call contract-checked."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import SecretStr

from koppel.profile import SnelstartSettings
from koppel.sandbox.server import start_server
from koppel.sandbox.snelstart import SandboxOptions, SnelstartSandbox, create_app
from koppel.sandbox.snelstart.contract import (
    ContractTransport,
    default_spec_path,
    load_contract,
)
from koppel.snelstart.client import SnelstartClient

from .conftest import CLIENTKEY, SUBSCRIPTION_KEY


@pytest.fixture
def checked():
    try:
        contract = load_contract()
    except FileNotFoundError:
        pytest.skip(f"SnelStart OpenAPI definition absent at {default_spec_path()}")
    sandbox = SnelstartSandbox(SandboxOptions(throttling=False))
    with start_server(create_app(sandbox)) as server:
        settings = SnelstartSettings(
            api_url=f"{server.url}/v2",
            token_url=f"{server.url}/b2b/token",
            clientkey={"env": "KOPPEL_TEST_CLIENTKEY"},
            subscription_key={"env": "KOPPEL_TEST_SUBSCRIPTION_KEY"},
            max_retries=0,
        )
        transport = ContractTransport(contract)
        client = SnelstartClient(
            settings,
            clientkey=SecretStr(CLIENTKEY),
            subscription_key=SecretStr(SUBSCRIPTION_KEY),
            transport=transport,
        )
        with client:
            yield client, transport, sandbox


def test_client_calls_fit_the_contract(checked):
    client, transport, sandbox = checked
    landen = client.get("landen")
    nl = next(land for land in landen if land["landcode"] == "NL")
    client.get("companyInfo")
    client.get("artikelomzetgroepen")
    client.get("btwtarieven")
    client.get("verkoopordersjablonen")
    artikelen = client.get_all("artikelen")
    found = client.get_all(
        "relaties",
        filter="Email eq 'sanne.devries@example.nl' and "
        "Relatiesoort/any(r:r eq 'Klant')",
    )
    relatie = client.post(
        "relaties",
        {
            "relatiesoort": ["Klant"],
            "naam": "Lucas Visser",
            "email": "lucas.visser@example.nl",
            "vestigingsAdres": {
                "straat": "Oudegracht 45",
                "postcode": "3511 AB",
                "plaats": "Utrecht",
                "land": {"id": nl["id"]},
            },
        },
    )
    trui = next(a for a in artikelen if a["artikelcode"] == "MWS")
    order = client.post(
        "verkooporders",
        {
            "relatie": {"id": relatie["id"]},
            "datum": "2024-05-01T00:00:00",
            "orderreferentie": "PS-42",
            "verkooporderBtwIngaveModel": "Inclusief",
            "regels": [
                {
                    "artikel": {"id": trui["id"]},
                    "stuksprijs": Decimal("89.95"),
                    "aantal": Decimal("1"),
                }
            ],
        },
    )
    client.put(f"relaties/{relatie['id']}", {**relatie, "telefoon": "0612345678"})
    again = client.get_all("verkooporders", filter="Orderreferentie eq 'PS-42'")
    assert len(artikelen) == sandbox.administration().count("artikelen")
    assert len(found) == 1
    assert order["totaalInclusiefBtw"] == Decimal("89.95")
    assert [o["id"] for o in again] == [order["id"]]
    assert len(transport.calls) >= 12
    assert transport.problems == []
