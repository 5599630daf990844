"""``koppel doctor PROFILE``: is this profile ready to run?

Checks, in order, each with the fix when it fails:

1. the profile file validates;
2. its mapping rules load;
3. its shop timezone is set (and matches the shop's, when the webservice
   exposes ``PS_TIMEZONE``);
4. every secret it names can be read;
5. the PrestaShop webservice answers with its key and may read orders;
6. SnelStart gives a token for its koppelsleutel and the API answers with
   its subscription key;
7. the omzetgroepen, the verkoopordersjabloon, the kostenplaats and the
   articles its rules name exist in the administration.

A failed step marks the steps that depend on it as skipped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import httpx
from pydantic import SecretStr

from koppel.exceptions import ConfigError, KoppelError
from koppel.ops.probes import Outcome, PrestashopProbe, SnelstartProbe
from koppel.profile import Profile, find_profile, load_profile, resolve_secret

__all__ = [
    "Check",
    "DoctorResult",
    "Requirements",
    "render_checklist",
    "requirements_from_rules",
    "run_doctor",
]

Status = Literal["ok", "warn", "fail", "skip"]
_MARK = {"ok": "[ok]  ", "warn": "[warn]", "fail": "[FAIL]", "skip": "[skip]"}


@dataclass(frozen=True)
class Check:
    """One line of the checklist, with the fix when it did not pass."""

    name: str
    status: Status
    detail: str
    fix: str = ""


@dataclass
class DoctorResult:
    """All checks of one profile."""

    profile: str
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when no check failed (warnings and skips allowed)."""
        return not any(c.status == "fail" for c in self.checks)

    def add(self, name: str, status: Status, detail: str, fix: str = "") -> Check:
        """Append a check and return it."""
        check = Check(name, status, detail, fix)
        self.checks.append(check)
        return check


@dataclass(frozen=True)
class Requirements:
    """SnelStart records a profile's rules name (by nummer or omschrijving).

    Attributes:
        omzetgroepen: label (e.g. ``new articles Hoog``) -> nummer/omschrijving.
        template: the fixed verkoopordersjabloon, if any.
        kostenplaats: the kostenplaats, if any.
        articles: label (e.g. ``shipping Hoog``) -> artikelcode.
    """

    omzetgroepen: dict[str, int | str] = field(default_factory=dict)
    template: int | str | None = None
    kostenplaats: int | str | None = None
    articles: dict[str, str] = field(default_factory=dict)


def requirements_from_rules(rules: Any) -> Requirements:
    """What a rule set (:class:`koppel.mapping.rules.RuleSet`) needs to exist."""
    groups = {
        f"new articles {kind}": ref
        for kind, ref in rules.articles.new_articles.omzetgroep.items()
    }
    extra = rules.extra
    articles: dict[str, str] = {}
    for name in ("shipping", "wrapping", "discounts"):
        charge = getattr(extra, name)
        if charge.enabled:
            for kind, code in charge.articles.items():
                articles[f"{name} {kind}"] = code
    if extra.payment_fee.enabled:
        articles["payment fee"] = extra.payment_fee.article
    articles["rounding"] = extra.rounding.article
    header = rules.header
    template = header.template.fixed
    return Requirements(groups, template, header.kostenplaats, articles)


def _matches(record: dict[str, Any], ref: int | str) -> bool:
    if isinstance(ref, int):
        return record.get("nummer") == ref
    return str(record.get("omschrijving") or "").strip().casefold() == ref.casefold()


# --- the checks --------------------------------------------------------------


def _check_profile(result: DoctorResult, ref: str) -> Profile | None:
    try:
        path = find_profile(ref)
        profile = load_profile(path)
    except KoppelError as exc:
        result.add("profile", "fail", str(exc), f"fix `{ref}` as listed above")
        return None
    result.add("profile", "ok", f"`{path}` is valid ({profile.name})")
    return profile


def _check_rules(result: DoctorResult, profile: Profile, root: Path) -> Any:
    try:
        from koppel.mapping import load_rules

        rules = load_rules(profile, root=root)
    except KoppelError as exc:
        result.add(
            "mapping rules",
            "fail",
            str(exc),
            f"fix the files under `{root}/` or `[mapping]` in the profile",
        )
        return None
    result.add("mapping rules", "ok", f"rule set `{profile.mapping.rules}` loads")
    return rules


def _check_secrets(
    result: DoctorResult, profile: Profile, loader: Callable[[str], str] | None
) -> dict[str, SecretStr] | None:
    refs = {
        "PrestaShop webservice key": profile.prestashop.key,
        "SnelStart koppelsleutel": profile.snelstart.clientkey,
        "SnelStart subscription key": profile.snelstart.subscription_key,
    }
    found: dict[str, SecretStr] = {}
    for label, ref in refs.items():
        try:
            found[label] = resolve_secret(ref, loader)
        except ConfigError as exc:
            fix = (
                f"export {ref.env}=..."
                if ref.env
                else f"create the Prefect Secret block `{ref.block}`"
            )
            result.add(f"secret: {label}", "fail", str(exc), fix)
    if len(found) < len(refs):
        return None
    result.add("secrets", "ok", "all three secrets can be read")
    return found


def _check_local_timezone(result: DoctorResult, profile: Profile) -> None:
    result.add("shop timezone", "ok", f"profile says `{profile.timezone}`")


def _check_prestashop(
    result: DoctorResult, profile: Profile, probe: PrestashopProbe
) -> None:
    outcome = probe.orders()
    url = profile.prestashop.url
    if outcome.ok:
        result.add("PrestaShop webservice", "ok", f"`{url}` answers; orders readable")
    else:
        result.add(
            "PrestaShop webservice", "fail", _why(outcome), _ps_fix(outcome, url)
        )
        return
    shop = probe.shop_timezone()
    value = _configuration_value(shop.data) if shop.ok else None
    if value is None:
        result.add(
            "shop timezone (shop side)",
            "skip",
            "the webservice does not expose `PS_TIMEZONE` to this key",
            "compare `timezone` with Shop Parameters > General in the back office",
        )
    elif value != profile.timezone:
        result.add(
            "shop timezone (shop side)",
            "fail",
            f"the shop runs on {value!r}, the profile says {profile.timezone!r}",
            f'set `timezone = "{value}"` in the profile',
        )
    else:
        result.add("shop timezone (shop side)", "ok", f"shop also runs on `{value}`")


def _configuration_value(data: Any) -> str | None:
    rows = (data or {}).get("configurations") if isinstance(data, dict) else None
    for row in rows or []:
        if isinstance(row, dict) and row.get("name") == "PS_TIMEZONE":
            return str(row.get("value") or "") or None
    return None


def _why(outcome: Outcome) -> str:
    return outcome.error or f"HTTP {outcome.status}"


def _ps_fix(outcome: Outcome, url: str) -> str:
    if outcome.status is None:
        return f"check `prestashop.url` ({url}) and that the shop is reachable"
    if outcome.status == 401:
        return "check the webservice key, and that it is active with GET on `orders`"
    if outcome.status in (403, 405):
        return "give the key GET rights on `orders` (and the shop, for multishop)"
    if outcome.status == 404:
        return "`prestashop.url` must end in /api; enable URL rewriting in the shop"
    if outcome.status == 503:
        return "enable the webservice in Advanced Parameters > Webservice"
    return "see the shop's error above"


def _sn_fix(outcome: Outcome, what: str) -> str:
    if outcome.status is None:
        return f"check `snelstart.{what}` and the network"
    if outcome.status in (400, 401) and what == "token_url":
        return "check the koppelsleutel (regenerate it in SnelStart Web > Koppelingen)"
    if outcome.status == 401:
        return "check the subscription key (Ocp-Apim-Subscription-Key), maybe expired"
    if outcome.status == 403:
        return "the koppeling lacks a scope: enable it in SnelStart for this app"
    if outcome.status in (429, 500, 502, 503, 504):
        return "SnelStart is throttling or failing right now; run the doctor again"
    return "see SnelStart's answer above"


def _check_snelstart(
    result: DoctorResult, profile: Profile, probe: SnelstartProbe, needs: Requirements
) -> None:
    outcome = probe.token()
    if not outcome.ok:
        result.add(
            "SnelStart token", "fail", _why(outcome), _sn_fix(outcome, "token_url")
        )
        return
    result.add("SnelStart token", "ok", "the koppelsleutel gives a token")
    company = probe.get("companyInfo")
    if not company.ok:
        result.add("SnelStart API", "fail", _why(company), _sn_fix(company, "api_url"))
        return
    name = (company.data or {}).get("administratieNaam") or "?"
    result.add("SnelStart API", "ok", f"administration {name!r} answers")
    _check_records(
        result, probe, "artikelomzetgroepen", needs.omzetgroepen, "omzetgroep"
    )
    if needs.template is not None:
        _check_records(
            result,
            probe,
            "verkoopordersjablonen",
            {"template": needs.template},
            "sjabloon",
        )
    if needs.kostenplaats is not None:
        _check_records(
            result,
            probe,
            "kostenplaatsen",
            {"kostenplaats": needs.kostenplaats},
            "kostenplaats",
        )
    _check_articles(result, probe, needs.articles)


def _check_records(
    result: DoctorResult,
    probe: SnelstartProbe,
    resource: str,
    wanted: dict[str, int | str],
    noun: str,
) -> None:
    if not wanted:
        return
    outcome = probe.get(resource)
    if not outcome.ok:
        result.add(resource, "fail", _why(outcome), _sn_fix(outcome, "api_url"))
        return
    records = outcome.data if isinstance(outcome.data, list) else []
    if resource == "verkoopordersjablonen":
        records = [r for r in records if not r.get("nonactief")]
    problems = []
    for label, ref in wanted.items():
        count = sum(_matches(r, ref) for r in records)
        if count != 1:
            problems.append(
                f"{label}: {ref!r} "
                + ("missing" if count == 0 else f"matches {count} records")
            )
    if problems:
        known = sorted(str(r.get("omschrijving")) for r in records)[:10]
        result.add(
            resource,
            "fail",
            f"{'; '.join(problems)}; SnelStart has {known}",
            f"create the {noun} in SnelStart (exactly one, active) or name an "
            "existing one in the mapping rules",
        )
        return
    result.add(resource, "ok", f"{len(wanted)} configured {noun}(en) exist")


def _check_articles(
    result: DoctorResult, probe: SnelstartProbe, articles: dict[str, str]
) -> None:
    missing = []
    for label, code in sorted(articles.items()):
        quoted = code.replace("'", "''")
        outcome = probe.get(
            "artikelen", {"$filter": f"Artikelcode eq '{quoted}'", "$top": "1"}
        )
        if not outcome.ok:
            result.add("artikelen", "fail", _why(outcome), _sn_fix(outcome, "api_url"))
            return
        if not outcome.data:
            missing.append(f"{label}: {code!r}")
    if missing:
        result.add(
            "artikelen",
            "fail",
            "missing articles " + ", ".join(missing),
            "create these articles in SnelStart (with the right omzetgroep) or "
            "change extra_lines.yaml",
        )
    else:
        result.add(
            "artikelen",
            "ok",
            f"{len(set(articles.values()))} configured articles exist",
        )


# --- entry point -------------------------------------------------------------


def run_doctor(
    ref: str,
    *,
    block_loader: Callable[[str], str] | None = None,
    mappings_root: Path = Path("mappings"),
    timeout: float = 10.0,
    prestashop_transport: httpx.BaseTransport | None = None,
    snelstart_transport: httpx.BaseTransport | None = None,
) -> DoctorResult:
    """Run every check for one profile (name or path).

    Args:
        ref: profile name or path.
        block_loader: reads Prefect Secret blocks (the CLI passes one).
        mappings_root: the ``mappings/`` directory.
        timeout: seconds per HTTP request.
        prestashop_transport, snelstart_transport: for tests.

    Returns:
        The checklist; ``result.ok`` is False when any check failed.
    """
    result = DoctorResult(ref)
    profile = _check_profile(result, ref)
    if profile is None:
        return result
    result.profile = profile.name
    rules = _check_rules(result, profile, mappings_root)
    _check_local_timezone(result, profile)
    secrets = _check_secrets(result, profile, block_loader)
    if secrets is None:
        result.add("APIs", "skip", "not reached: a secret is missing")
        return result
    ps = PrestashopProbe(
        profile.prestashop.url,
        secrets["PrestaShop webservice key"],
        timeout=timeout,
        transport=prestashop_transport,
    )
    sn = SnelstartProbe(
        profile.snelstart.api_url,
        profile.snelstart.token_url,
        secrets["SnelStart koppelsleutel"],
        secrets["SnelStart subscription key"],
        timeout=timeout,
        transport=snelstart_transport,
    )
    try:
        _check_prestashop(result, profile, ps)
        needs = requirements_from_rules(rules) if rules is not None else Requirements()
        _check_snelstart(result, profile, sn, needs)
    finally:
        ps.close()
        sn.close()
    return result


def render_checklist(result: DoctorResult) -> str:
    """The checklist as text: one line per check, the fix indented below."""
    lines = [f"koppel doctor {result.profile}:"]
    for check in result.checks:
        lines.append(f"  {_MARK[check.status]} {check.name}: {check.detail}")
        if check.fix and check.status in ("fail", "warn", "skip"):
            lines.append(f"         fix: {check.fix}")
    failed = sum(c.status == "fail" for c in result.checks)
    lines.append("  all checks passed" if failed == 0 else f"  {failed} checks failed")
    return "\n".join(lines)
