from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from koppel import settings
from koppel.mapping import load_rules
from koppel.ops.doctor import (
    render_checklist,
    requirements_from_rules,
    run_doctor,
)
from koppel.profile import load_profile

ROOT = Path(__file__).parents[2]


def _needs():
    profile = load_profile(ROOT / "profiles" / "demo.toml")
    return requirements_from_rules(load_rules(profile, root=ROOT / "mappings"))


NEEDS = _needs()
# the omzetgroepen and articles the default rules name, as SnelStart records
OMZETGROEPEN = [
    {"nummer": ref, "omschrijving": f"groep {ref}"}
    if isinstance(ref, int)
    else {"nummer": n, "omschrijving": ref}
    for n, ref in enumerate(sorted(set(NEEDS.omzetgroepen.values()), key=str), 1)
]
ARTICLES = set(NEEDS.articles.values())


@pytest.fixture(autouse=True)
def _env(monkeypatch):
    monkeypatch.chdir(ROOT)
    for name, value in settings.DEMO_ENV.items():
        monkeypatch.setenv(name, value)


@pytest.fixture
def profile(tmp_path):
    text = (ROOT / "profiles" / "demo.toml").read_text(encoding="utf-8")
    path = tmp_path / "demo.toml"
    path.write_text(text.replace('data_dir = "data"', f'data_dir = "{tmp_path}"'))
    return str(path)


def shop(status=200, timezone=None):
    def handle(request: httpx.Request) -> httpx.Response:
        assert "ws_key" not in str(request.url)
        if request.url.path.endswith("/configurations"):
            if timezone is None:
                return httpx.Response(401, text="401 Unauthorized")
            rows = [{"name": "PS_TIMEZONE", "value": timezone}]
            return httpx.Response(200, json={"configurations": rows})
        if status != 200:
            return httpx.Response(status, json={"errors": [{"code": 17}]})
        return httpx.Response(200, json={"orders": [{"id": 5}]})

    return httpx.MockTransport(handle)


def snelstart(*, token_status=200, groups=OMZETGROEPEN, articles=ARTICLES):
    def handle(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path.endswith("/b2b/token"):
            body = request.content.decode()
            assert settings.DEMO_SNELSTART_CLIENTKEY in body
            if token_status != 200:
                return httpx.Response(token_status, json={"error": "invalid_grant"})
            return httpx.Response(200, json={"access_token": "t", "expires_in": 3599})
        assert request.headers["Authorization"] == "Bearer t"
        key = request.headers["Ocp-Apim-Subscription-Key"]
        assert key == settings.DEMO_SNELSTART_SUBSCRIPTION_KEY
        if path.endswith("/companyInfo"):
            return httpx.Response(200, json={"administratieNaam": "Demo BV"})
        if path.endswith("/artikelomzetgroepen"):
            return httpx.Response(200, json=groups)
        if path.endswith("/artikelen"):
            code = request.url.params["$filter"].split("'")[1]
            found = [{"artikelcode": code}] if code in articles else []
            return httpx.Response(200, json=found)
        return httpx.Response(404, json={"Message": "no"})

    return httpx.MockTransport(handle)


def statuses(result):
    return {c.name: c.status for c in result.checks}


def test_doctor_all_good_passes(profile):
    result = run_doctor(
        profile,
        prestashop_transport=shop(timezone="Europe/Amsterdam"),
        snelstart_transport=snelstart(),
    )
    assert result.ok, render_checklist(result)
    assert statuses(result)["shop timezone (shop side)"] == "ok"
    assert statuses(result)["artikelen"] == "ok"


def test_doctor_bad_profile_fails_first_check(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "Bad Name"\n', encoding="utf-8")
    result = run_doctor(str(bad))
    assert not result.ok
    assert [c.name for c in result.checks] == ["profile"]
    assert result.checks[0].fix


def test_doctor_missing_secret_names_the_variable_and_skips_apis(profile, monkeypatch):
    monkeypatch.delenv("KOPPEL_DEMO_SNELSTART_CLIENTKEY")
    result = run_doctor(profile)
    failed = [c for c in result.checks if c.status == "fail"]
    assert [c.name for c in failed] == ["secret: SnelStart koppelsleutel"]
    assert "KOPPEL_DEMO_SNELSTART_CLIENTKEY" in failed[0].fix
    assert statuses(result)["APIs"] == "skip"


@pytest.mark.parametrize("status", [401, 404, 503])
def test_doctor_prestashop_refusal_fails_with_fix(profile, status):
    result = run_doctor(
        profile, prestashop_transport=shop(status), snelstart_transport=snelstart()
    )
    check = next(c for c in result.checks if c.name == "PrestaShop webservice")
    assert check.status == "fail"
    assert check.fix


def test_doctor_shop_timezone_mismatch_fails(profile):
    result = run_doctor(
        profile,
        prestashop_transport=shop(timezone="Europe/London"),
        snelstart_transport=snelstart(),
    )
    assert statuses(result)["shop timezone (shop side)"] == "fail"


def test_doctor_bad_koppelsleutel_fails_token_and_stops(profile):
    result = run_doctor(
        profile,
        prestashop_transport=shop(),
        snelstart_transport=snelstart(token_status=400),
    )
    assert statuses(result)["SnelStart token"] == "fail"
    assert "artikelen" not in statuses(result)


def test_doctor_missing_omzetgroep_and_article_are_listed(profile):
    result = run_doctor(
        profile,
        prestashop_transport=shop(),
        snelstart_transport=snelstart(
            groups=OMZETGROEPEN[1:], articles=ARTICLES - {NEEDS.articles["rounding"]}
        ),
    )
    by_name = {c.name: c for c in result.checks}
    assert by_name["artikelomzetgroepen"].status == "fail"
    assert (
        repr(OMZETGROEPEN[0]["omschrijving"]) in by_name["artikelomzetgroepen"].detail
    )
    assert by_name["artikelen"].status == "fail"
    assert NEEDS.articles["rounding"] in by_name["artikelen"].detail


def test_doctor_unreachable_snelstart_fails_with_network_fix(profile):
    def down(request):
        raise httpx.ConnectError("refused", request=request)

    result = run_doctor(
        profile,
        prestashop_transport=shop(),
        snelstart_transport=httpx.MockTransport(down),
    )
    check = next(c for c in result.checks if c.name == "SnelStart token")
    assert check.status == "fail"
    assert "network" in check.fix


def test_checklist_never_shows_secrets(profile):
    result = run_doctor(
        profile,
        prestashop_transport=shop(401),
        snelstart_transport=snelstart(token_status=400),
    )
    text = render_checklist(result)
    for secret in settings.DEMO_ENV.values():
        assert secret not in text


def test_doctor_one_passing_504_is_not_a_failed_check(profile, monkeypatch):
    """Regression: with the SnelStart sandbox at `--error-rate 0.1`, one random
    504 on `artikelomzetgroepen` made doctor report a failed check."""
    import koppel.ops.probes as probes

    monkeypatch.setattr(probes, "_PAUSE_SECONDS", 0.0)
    inner = snelstart()
    failed_once: set[str] = set()

    def flaky(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path.endswith("/artikelomzetgroepen") and path not in failed_once:
            failed_once.add(path)
            return httpx.Response(504, json={"statusCode": 504, "message": "x"})
        return inner.handle_request(request)

    result = run_doctor(
        profile,
        prestashop_transport=shop(timezone="Europe/Amsterdam"),
        snelstart_transport=httpx.MockTransport(flaky),
    )
    assert failed_once
    assert "fail" not in statuses(result).values()


def test_doctor_lasting_throttle_says_to_run_again(profile, monkeypatch):
    import koppel.ops.probes as probes

    monkeypatch.setattr(probes, "_PAUSE_SECONDS", 0.0)
    inner = snelstart()

    def throttled(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/artikelomzetgroepen"):
            return httpx.Response(429, json={"statusCode": 429, "message": "x"})
        return inner.handle_request(request)

    result = run_doctor(
        profile,
        prestashop_transport=shop(timezone="Europe/Amsterdam"),
        snelstart_transport=httpx.MockTransport(throttled),
    )
    failed = [c for c in result.checks if c.status == "fail"]
    assert failed and all("again" in c.fix for c in failed)
