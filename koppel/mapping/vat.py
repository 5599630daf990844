"""VAT rules: which regime an order falls under and each rate's VAT kind.

SnelStart puts no VAT on order lines: it takes the btwSoort of the article's
omzetgroep. So the mapping decides a *kind* per line (Hoog, Laag, Geen, or
Verlegd for reverse charge), and the kind picks the article of extra lines
and the omzetgroep of new articles.

Regimes, decided per order from its addresses:

- ``domestic``: delivered in the home country; the home table applies.
- ``reverse_charge``: EU B2B - the invoice address carries a VAT number of
  another EU country in a valid format, and the goods go to another EU
  country; every line is ``Verlegd`` (the shop must have charged 0 %).
- ``oss``: a consumer in another EU country; that country's table applies.
  With ``oss: auto`` only when the shop charged that country's rates; a
  shop below the OSS threshold charges home rates, and then the home table
  applies (``domestic``).
- ``export``: outside the EU; the home table applies (normally at 0 %).

"Valid" VAT number means the format of its country; koppel cannot consult
VIES (no internet in the pipeline).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from koppel.mapping.context import OrderContext, Unplannable
from koppel.mapping.rules import RuleSet
from koppel.mapping.transforms import normalise_vat_number
from koppel.money import ZERO
from koppel.reasons import Reason

__all__ = ["VatDecision", "decide_regime", "infer_rate", "valid_vat_number"]

Regime = Literal["domestic", "reverse_charge", "oss", "export"]

_VAT_FORMATS = {
    "AT": r"U\d{8}",
    "BE": r"[01]\d{9}",
    "BG": r"\d{9,10}",
    "CY": r"\d{8}[A-Z]",
    "CZ": r"\d{8,10}",
    "DE": r"\d{9}",
    "DK": r"\d{8}",
    "EE": r"\d{9}",
    "EL": r"\d{9}",
    "ES": r"[0-9A-Z]\d{7}[0-9A-Z]",
    "FI": r"\d{8}",
    "FR": r"[0-9A-Z]{2}\d{9}",
    "HR": r"\d{11}",
    "HU": r"\d{8}",
    "IE": r"\d[0-9A-Z+*]\d{5}[A-Z]{1,2}",
    "IT": r"\d{11}",
    "LT": r"\d{9}|\d{12}",
    "LU": r"\d{8}",
    "LV": r"\d{11}",
    "MT": r"\d{8}",
    "NL": r"\d{9}B\d{2}",
    "PL": r"\d{10}",
    "PT": r"\d{9}",
    "RO": r"\d{2,10}",
    "SE": r"\d{12}",
    "SI": r"\d{8}",
    "SK": r"\d{10}",
}
"""VAT number formats after the country prefix (EU, as VIES documents them)."""


def vat_prefix(country: str) -> str:
    """The VAT-number prefix of a country (Greece uses EL, not GR)."""
    return "EL" if country == "GR" else country


def valid_vat_number(number: str | None, country: str | None) -> bool:
    """Whether a VAT number has the format of the given EU country."""
    clean = normalise_vat_number(number or "")
    if not clean or not country:
        return False
    prefix = vat_prefix(country.upper())
    pattern = _VAT_FORMATS.get(prefix)
    if pattern is None or not clean.startswith(prefix):
        return False
    return re.fullmatch(pattern, clean[len(prefix) :]) is not None


@dataclass(frozen=True)
class VatDecision:
    """The VAT regime of one order and the country whose table applies."""

    regime: Regime
    country: str
    note: str
    order_id: int = 0
    abroad: bool = False

    def kind(
        self,
        rate: Decimal | None,
        rules: RuleSet,
        where: str,
        *,
        inferred: bool = False,
    ) -> str:
        """The VAT kind of a shop rate under this regime (see :meth:`resolve`)."""
        return self.resolve(rate, rules, where, inferred=inferred)[0]

    def resolve(
        self,
        rate: Decimal | None,
        rules: RuleSet,
        where: str,
        *,
        inferred: bool = False,
    ) -> tuple[str, Decimal]:
        """The VAT kind of a shop rate under this regime, and the table's rate.

        Args:
            rate: the shop's rate in percent.
            rules: the rule set (its VAT table).
            where: names the amount in messages (``line 3``, ``shipping``).
            inferred: the rate was derived from incl/excl amounts, so the
                nearest rate of the country within half a point is taken.

        Raises:
            Unplannable: UNMAPPED_VAT when the rate has no kind here.
        """
        rate = ZERO if rate is None else rate
        if self.regime == "reverse_charge":
            return "Verlegd", ZERO
        table = rules.tables[rules.vat.table]
        row = table.get(self.country, rate.normalize())
        if row is None and inferred:
            near = [
                r
                for (country, known), r in table.rows.items()
                if country == self.country and abs(known - rate) <= Decimal("0.5")
            ]
            row = min(near, key=lambda r: abs(r["rate"] - rate)) if near else None
        if row is None:
            msg = (
                f"order {self.order_id} {where}: shop VAT rate {rate.normalize()}% "
                f"has no kind for `{self.country}` ({self.regime}); add it to the "
                f"`{rules.vat.table}` lookup"
            )
            raise Unplannable(Reason.UNMAPPED_VAT, msg, field=where, value=rate)
        return str(row["kind"]), row["rate"]

    def kind_rate(self, kind: str, rules: RuleSet) -> Decimal:
        """The rate SnelStart applies to a kind here (the highest in the table)."""
        if kind in {"Geen", "Verlegd"} or self.regime == "reverse_charge":
            return ZERO
        rates = [
            rate
            for (country, rate), row in rules.tables[rules.vat.table].rows.items()
            if country == self.country and row["kind"] == kind
        ]
        return max(rates, default=ZERO)


def _country(address: dict | None) -> str | None:
    value = (address or {}).get("country_iso")
    return str(value).upper() if value else None


def decide_regime(ctx: OrderContext, rules: RuleSet) -> VatDecision:
    """Decide the VAT regime of an order.

    Raises:
        Unplannable: UNMAPPED_VAT when reverse charge applies but the shop
            charged VAT and the rules say to quarantine that.
    """
    vat = rules.vat
    home = vat.home_country
    invoice_country = _country(ctx.invoice)
    destination = _country(ctx.delivery) or invoice_country or home
    if destination == home:
        return VatDecision("domestic", home, f"domestic ({home})", ctx.order_id)
    if destination not in vat.eu_countries:
        return VatDecision("export", home, f"export to {destination}", ctx.order_id)
    number = (ctx.invoice or {}).get("vat_number")
    business = (
        vat.reverse_charge.enabled
        and invoice_country in vat.eu_countries
        and invoice_country != home
        and valid_vat_number(str(number or ""), invoice_country)
    )
    if business:
        charged = sorted({r.normalize() for r in _shop_rates(ctx) if r != ZERO})
        if not charged:
            note = f"reverse charge ({invoice_country} VAT number)"
            return VatDecision("reverse_charge", destination, note, ctx.order_id)
        if vat.reverse_charge.shop_charged_vat == "quarantine":
            msg = (
                f"order {ctx.order_id}: VAT number {number!r} of {invoice_country} "
                f"makes this reverse charge, but the shop charged "
                f"{', '.join(f'{r}%' for r in charged)}"
            )
            raise Unplannable(
                Reason.UNMAPPED_VAT, msg, field="invoice.vat_number", value=number
            )
    if vat.oss == "auto" and not _charged_from(ctx, rules, destination):
        if _charged_from(ctx, rules, home):
            note = f"home rates for {destination} (below the OSS threshold)"
            return VatDecision("domestic", home, note, ctx.order_id, abroad=True)
    if vat.oss:
        note = f"OSS ({destination} rates)"
        return VatDecision("oss", destination, note, ctx.order_id)
    note = f"home rates for {destination} (no OSS)"
    return VatDecision("domestic", home, note, ctx.order_id, abroad=True)


def _charged_from(ctx: OrderContext, rules: RuleSet, country: str) -> bool:
    """Whether every line's rate is a rate of this country's table."""
    table = rules.tables[rules.vat.table]
    rates = {(line.get("tax_rate") or ZERO).normalize() for line in ctx.lines}
    return all(table.get(country, rate) is not None for rate in rates)


def _shop_rates(ctx: OrderContext) -> list[Decimal]:
    rates = [line.get("tax_rate") or ZERO for line in ctx.lines]
    shipping = ctx.order.get("total_shipping_tax_incl") or ZERO
    if shipping > ZERO:
        rates.append(
            infer_rate(
                shipping,
                ctx.order.get("total_shipping_tax_excl"),
                ctx.order.get("carrier_tax_rate"),
            )
        )
    return rates


def infer_rate(
    incl: Decimal | None, excl: Decimal | None, stated: Decimal | None = None
) -> Decimal:
    """The VAT rate of an amount: the stated one, else derived from incl/excl.

    PrestaShop sometimes states ``carrier_tax_rate`` 0 while the amounts
    differ; then the rate is derived and rounded to one decimal.
    """
    incl = incl or ZERO
    excl = excl or ZERO
    if stated is not None and stated != ZERO:
        return stated
    if excl == ZERO or incl == excl:
        return ZERO
    return ((incl / excl - 1) * 100).quantize(Decimal("0.1")).normalize()
