"""Articles: find the SnelStart article of an order line, or plan one.

The shop code comes from ``articles.code.source``:

- ``combination_reference``: the line's reference as PrestaShop recorded it
  (the combination's own reference when it has one, else the product's);
- ``product_reference``: the product's reference, shared by all its
  combinations (needs ``product_base_reference`` in staging; lines without
  a combination fall back to their own reference);
- ``ean13``: the line's EAN-13;
- ``custom``: any rule value over ``line`` and ``order``.

SnelStart keeps that code in ``artikelcode`` or in an extra field. Processing
``manual`` never creates or changes articles; ``add_only`` creates missing
ones with the omzetgroep of the line's VAT kind; ``add_and_update`` also
lets description and price follow the shop.
"""

from __future__ import annotations

import copy
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from koppel.mapping.context import OrderContext, Unplannable, evaluate
from koppel.mapping.index import SnapshotIndex
from koppel.mapping.rules import RuleSet
from koppel.mapping.transforms import apply_transforms
from koppel.mapping.values import scalar_text
from koppel.mapping.vat import VatDecision
from koppel.plan import ArtikelAction
from koppel.reasons import Reason

__all__ = [
    "article_code",
    "check_kind",
    "existing_article",
    "plan_article",
    "use_extra_article",
]

_WRITE_FIELDS = (
    "id",
    "artikelcode",
    "omschrijving",
    "artikelOmzetgroep",
    "verkoopprijs",
    "inkoopprijs",
    "eenheid",
    "relatie",
    "isNonActief",
    "voorraadControle",
)


def article_code(line: dict[str, Any], ctx: OrderContext, rules: RuleSet) -> str | None:
    """The shop's article code of one line, per ``articles.code``."""
    code_rules = rules.articles.code
    source = code_rules.source
    if source == "custom" and code_rules.custom is not None:
        raw = evaluate(code_rules.custom, ctx.scope(line), rules.tables)
    elif source == "ean13":
        raw = scalar_text(line.get("product_ean13"))
    elif source == "product_reference" and line.get("product_attribute_id"):
        raw = scalar_text(line.get("product_base_reference"))
    else:
        raw = scalar_text(line.get("product_reference"))
    return apply_transforms(raw, code_rules.transform)


def existing_article(code: str, index: SnapshotIndex, rules: RuleSet) -> dict | None:
    """The SnelStart article holding this code, if the snapshot has it."""
    extra = (
        rules.articles.code.extra_field
        if rules.articles.code.field == ("extra_field")
        else None
    )
    return index.artikel(code, extra)


def check_kind(
    artikel: dict[str, Any],
    kind: str,
    regime: str,
    index: SnapshotIndex,
    rules: RuleSet,
    where: str,
    warnings: list[str],
) -> None:
    """Compare the article's VAT kind with the line's, per ``vat_mismatch``.

    Raises:
        Unplannable: UNMAPPED_VAT under ``vat_mismatch: quarantine``.
    """
    actual = index.artikel_kind(artikel)
    if actual is None or actual == kind or regime in {"reverse_charge", "export"}:
        return
    message = (
        f"{where}: article {artikel.get('artikelcode')!r} books VAT `{actual}` "
        f"but the shop charged `{kind}`"
    )
    policy = rules.lines.vat_mismatch
    if policy == "quarantine":
        raise Unplannable(Reason.UNMAPPED_VAT, message, field=where, value=actual)
    if policy == "warn":
        warnings.append(message)


def _omzetgroep(
    kind: str, regime: str, index: SnapshotIndex, rules: RuleSet, code: str
) -> dict:
    groups = rules.articles.new_articles.omzetgroep
    # a 0 % line abroad says nothing about the article's own VAT kind
    zero_rated = regime in {"reverse_charge", "export"}
    key = kind if kind in groups and not zero_rated else "default"
    ref = groups.get(key)  # type: ignore[call-overload]
    group = None if ref is None else index.omzetgroep(ref)
    if group is None:
        msg = (
            f"article {code!r} is new and needs an omzetgroep for VAT `{kind}`: "
            f"`articles.new_articles.omzetgroep.{key}` = {ref!r} is not one "
            "omzetgroep in SnelStart"
        )
        raise Unplannable(
            Reason.UNKNOWN_OMZETGROEP,
            msg,
            field=f"articles.new_articles.omzetgroep.{key}",
            value=ref,
        )
    return {"id": group["id"]}


def _price(
    line: dict[str, Any], index: SnapshotIndex, rules: RuleSet
) -> Decimal | None:
    basis = rules.articles.new_articles.price_basis
    excl = index.prices_excl if basis == "company_info" else basis == "excl"
    value = line.get("unit_price_tax_excl" if excl else "unit_price_tax_incl")
    if value is None:
        return None
    step = Decimal(1).scaleb(-rules.lines.price_decimals)
    return Decimal(value).quantize(step, rounding=ROUND_HALF_UP)


def _check_code_format(code: str, index: SnapshotIndex, ctx: OrderContext) -> None:
    numeric = index.company.get("artikelcodeSoort") == "Numeriek"
    longest = index.company.get("artikelcodeMaxLengte")
    problem = None
    if numeric and not code.isdigit():
        problem = "SnelStart's administration only takes numeric artikelcodes"
    elif longest and len(code) > int(longest):
        problem = f"SnelStart's artikelcodes are at most {longest} characters"
    if problem:
        msg = f"order {ctx.order_id}: new article {code!r}: {problem}"
        raise Unplannable(
            Reason.MISSING_ARTICLE_CODE, msg, field="artikelcode", value=code
        )


def plan_article(
    code: str,
    line: dict[str, Any],
    kind: str,
    regime: str,
    ctx: OrderContext,
    index: SnapshotIndex,
    rules: RuleSet,
) -> ArtikelAction:
    """Use, update or create the article of one product line.

    Args:
        code: the shop's article code of the line.
        line: the staged order row.
        kind: the line's VAT kind (picks a new article's omzetgroep).
        regime: the order's VAT regime.
        ctx: the order.
        index: the SnelStart snapshot.
        rules: the rule set (``articles.yaml``).

    Returns:
        The article action, keyed by the code the order's ``$artikel`` names.

    Raises:
        Unplannable: UNKNOWN_ARTICLE under ``manual``; UNKNOWN_OMZETGROEP or
            MISSING_ARTICLE_CODE when a new article cannot be written.
    """
    artikel = existing_article(code, index, rules)
    processing = rules.articles.processing
    if rules.articles.code.source == "product_reference" and line.get(
        "product_attribute_id"
    ):
        line = dict(line, product_name=line.get("product_base_name"))
    spec = rules.articles.new_articles.description
    description = (evaluate(spec, ctx.scope(line), rules.tables) or code)[:250]
    if artikel is None:
        if processing == "manual":
            msg = (
                f"order {ctx.order_id}: article {code!r} is not in SnelStart and "
                "article processing is `manual`"
            )
            raise Unplannable(
                Reason.UNKNOWN_ARTICLE, msg, field="artikelcode", value=code
            )
        _check_code_format(code, index, ctx)
        payload: dict[str, Any] = {
            "artikelcode": code,
            "omschrijving": description,
            "artikelOmzetgroep": _omzetgroep(kind, regime, index, rules, code),
        }
        price = _price(line, index, rules)
        if price is not None:
            payload["verkoopprijs"] = price
        if rules.articles.code.field == "extra_field":
            payload["extraVelden"] = [
                {"naam": rules.articles.code.extra_field, "waarde": code}
            ]
        return ArtikelAction(key=code, action="create", payload=payload)
    if processing != "add_and_update":
        return ArtikelAction(key=code, action="use", artikel_id=artikel.get("id"))
    return _update(code, artikel, description, _price(line, index, rules))


def _update(
    code: str, artikel: dict[str, Any], description: str, price: Decimal | None
) -> ArtikelAction:
    payload = {k: copy.deepcopy(v) for k, v in artikel.items() if k in _WRITE_FIELDS}
    payload["omschrijving"] = description
    if price is not None:
        payload["verkoopprijs"] = price
    current_price = artikel.get("verkoopprijs")
    same_price = price is None or (
        current_price is not None and Decimal(str(current_price)) == price
    )
    if artikel.get("omschrijving") == description and same_price:
        return ArtikelAction(key=code, action="use", artikel_id=artikel.get("id"))
    return ArtikelAction(
        key=code, action="update", artikel_id=artikel.get("id"), payload=payload
    )


def use_extra_article(
    code: str,
    kind: str,
    where: str,
    decision: VatDecision,
    ctx: OrderContext,
    index: SnapshotIndex,
    rules: RuleSet,
    artikelen: dict[str, ArtikelAction],
) -> str:
    """Plan the use of a configured article (it must exist in SnelStart).

    Raises:
        Unplannable: UNKNOWN_ARTICLE when SnelStart lacks it.
    """
    artikel = index.artikel(code)
    if artikel is None:
        msg = (
            f"order {ctx.order_id}: {where} article {code!r} is not in SnelStart; "
            "create it (with the omzetgroep of its VAT kind) or change the rules"
        )
        raise Unplannable(Reason.UNKNOWN_ARTICLE, msg, field=where, value=code)
    check_kind(
        artikel,
        kind,
        decision.regime,
        index,
        rules,
        f"order {ctx.order_id} {where}",
        ctx.warnings,
    )
    artikelen[code] = ArtikelAction(
        key=code, action="use", artikel_id=artikel.get("id")
    )
    return code
