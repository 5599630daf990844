"""The schema of the entity rule files under ``mappings/`` (one model each).

Every model refuses unknown keys. Cross-file checks (lookup tables that
exist, source paths allowed where they are used) are done by
:mod:`koppel.mapping.rules` after all files are parsed.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from koppel.mapping.transforms import TRANSFORMS
from koppel.mapping.valuespec import (
    LookupDecl,
    RuleModel,
    ValueSpec,
    check_template,
    source,
)

__all__ = [
    "KINDS",
    "RELATIE_FIELDS",
    "ArticleRules",
    "CustomerRules",
    "ExtraLineRules",
    "HeaderRules",
    "LineRules",
    "LookupDecl",
    "ValueSpec",
    "VatRules",
]

VatKind = Literal["Hoog", "Laag", "Geen", "Verlegd"]
KINDS: tuple[str, ...] = ("Hoog", "Laag", "Geen", "Verlegd")
"""VAT kinds: SnelStart's btwSoort values plus ``Verlegd`` (reverse charge)."""

NamedRef = int | str
"""A SnelStart record by ``nummer`` (int) or ``omschrijving`` (str), never an id."""

RELATIE_FIELDS: dict[str, int | None] = {
    "naam": 50,
    "telefoon": 25,
    "mobieleTelefoon": 25,
    "email": 250,
    "btwNummer": 50,
    "kvkNummer": 12,
    "websiteUrl": 100,
    "memo": None,
    **{
        f"{adres}.{part}": limit
        for adres in ("vestigingsAdres", "correspondentieAdres")
        for part, limit in (
            ("contactpersoon", 50),
            ("straat", 50),
            ("postcode", 25),
            ("plaats", 50),
            ("land", None),
        )
    },
}
"""Relatie fields a rule may fill, with SnelStart's length limits."""


# --- customers.yaml ----------------------------------------------------------

MatchMethod = Literal[
    "code",
    "email",
    "code_or_email",
    "email_and_postcode",
    "code_or_email_and_postcode",
    "smart",
]
SmartStep = Literal[
    "code", "email_and_postcode", "vat_number", "company_and_postcode", "email"
]


class Matching(RuleModel):
    """How an order's customer is recognised among SnelStart's relaties."""

    method: MatchMethod = "email"
    smart_steps: tuple[SmartStep, ...] = Field(
        ("code", "email_and_postcode", "vat_number", "company_and_postcode", "email"),
        min_length=1,
        description="the `smart` cascade, tried in this order",
    )
    code: ValueSpec = Field(
        default_factory=lambda: source("customer.customer_id", "digits"),
        description="the shop's customer code, compared with relatiecode",
    )
    code_offset: int = Field(0, ge=0, description="added to the shop code")
    postcode_from: Literal["delivery", "invoice"] = "delivery"

    @field_validator("smart_steps")
    @classmethod
    def _unique(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if len(set(value)) != len(value):
            msg = f"{list(value)!r} names a step twice"
            raise ValueError(msg)
        return value


class CustomerProcessing(RuleModel):
    """What happens with matched and unmatched customers."""

    mode: Literal["add_only", "add_and_update", "manual"] = "add_only"
    fixed_relatiecode: int | None = Field(
        None, ge=1, description="manual: book every order on this relatie"
    )
    new_relatiecode: Literal["snelstart", "shop_code"] = Field(
        "snelstart", description="who numbers new relaties"
    )
    unmapped: Literal["keep", "clear"] = Field(
        "keep", description="on update: keep or clear fields the rules do not map"
    )

    @model_validator(mode="after")
    def _fixed_needs_manual(self) -> CustomerProcessing:
        if self.fixed_relatiecode is not None and self.mode != "manual":
            msg = "`fixed_relatiecode` only applies with `mode: manual`"
            raise ValueError(msg)
        return self


class CustomerRules(RuleModel):
    """customers.yaml: matching, processing and the relatie field mapping."""

    matching: Matching = Field(default_factory=Matching)
    processing: CustomerProcessing = Field(default_factory=CustomerProcessing)
    fields: dict[str, ValueSpec] = Field(description="relatie field -> value")

    @field_validator("fields")
    @classmethod
    def _known_fields(cls, value: dict[str, ValueSpec]) -> dict[str, ValueSpec]:
        unknown = sorted(set(value) - set(RELATIE_FIELDS))
        if unknown:
            msg = (
                f"unknown relatie fields {unknown}; known: {', '.join(RELATIE_FIELDS)}"
            )
            raise ValueError(msg)
        if "naam" not in value:
            msg = "`naam` must be mapped: SnelStart requires it"
            raise ValueError(msg)
        return value


# --- articles.yaml -----------------------------------------------------------


class ArticleCode(RuleModel):
    """Where the shop's article code comes from and where SnelStart keeps it."""

    source: Literal["combination_reference", "product_reference", "ean13", "custom"] = (
        "combination_reference"
    )
    custom: ValueSpec | None = Field(None, description="the code when `custom`")
    field: Literal["artikelcode", "extra_field"] = "artikelcode"
    extra_field: str | None = Field(None, description="name of the extra field")
    transform: tuple[str, ...] = ("strip",)

    @model_validator(mode="after")
    def _pairs(self) -> ArticleCode:
        if (self.source == "custom") != (self.custom is not None):
            msg = "give `custom` exactly when `source: custom`"
            raise ValueError(msg)
        if (self.field == "extra_field") != bool(self.extra_field):
            msg = "give `extra_field` exactly when `field: extra_field`"
            raise ValueError(msg)
        for name in self.transform:
            if name not in TRANSFORMS:
                msg = f"unknown transform {name!r}; known: {', '.join(TRANSFORMS)}"
                raise ValueError(msg)
        return self


class NewArticles(RuleModel):
    """How koppel creates an article the shop sells and SnelStart lacks."""

    omzetgroep: dict[Literal["Hoog", "Laag", "Geen", "default"], NamedRef] = Field(
        min_length=1, description="VAT kind -> omzetgroep nummer/omschrijving"
    )
    description: ValueSpec = Field(
        default_factory=lambda: source("line.product_name", "html_unescape", "collapse")
    )
    price_basis: Literal["company_info", "incl", "excl"] = "company_info"


class ArticleRules(RuleModel):
    """articles.yaml: code, processing and new-article settings."""

    code: ArticleCode = Field(default_factory=ArticleCode)
    processing: Literal["add_only", "add_and_update", "manual"] = "add_only"
    new_articles: NewArticles


# --- order_lines.yaml --------------------------------------------------------


class LineRules(RuleModel):
    """order_lines.yaml: how product lines are written."""

    mode: Literal["full", "code_and_quantity", "description_from_snelstart"] = "full"
    product_options: Literal["fold", "own_line"] = "fold"
    vat_entry: Literal["auto", "inclusief", "exclusief"] = "auto"
    price_decimals: int = Field(2, ge=2, le=6)
    exact_line_totals: bool = Field(
        True, description="split a line over two unit prices to hit its total"
    )
    description: ValueSpec = Field(
        default_factory=lambda: source("line.product_name", "html_unescape", "collapse")
    )
    vat_mismatch: Literal["quarantine", "warn", "ignore"] = "quarantine"


# --- extra_lines.yaml --------------------------------------------------------

ArticlesByKind = dict[VatKind, str]


class _Charge(RuleModel):
    enabled: bool = True
    description: str = Field(min_length=1, max_length=250)
    articles: ArticlesByKind = Field(description="VAT kind -> article code")


class DiscountRule(_Charge):
    """Cart rules and vouchers, split over the VAT kinds of the products."""

    per: Literal["rule", "total"] = "rule"
    free_shipping: Literal["net", "book_both"] = "net"


class PaymentFeeRule(RuleModel):
    """A fee the payment module added to the total without an order line."""

    enabled: bool = True
    article: str = Field(min_length=1)
    description: str = Field("Betaalkosten", min_length=1, max_length=250)
    modules: tuple[str, ...] = Field((), description="only these modules; all if empty")
    articles: ArticlesByKind = Field(
        default_factory=dict,
        description="VAT kind -> article instead of `article` (e.g. Verlegd)",
    )


class RoundingRule(RuleModel):
    """The line that absorbs a small difference to the shop's total."""

    article: str = Field(min_length=1)
    description: str = Field("Afrondingsverschil", min_length=1, max_length=250)
    tolerance: Decimal = Field(Decimal("0.05"), ge=0, le=Decimal("1"))


class ExtraLineRules(RuleModel):
    """extra_lines.yaml: shipping, wrapping, payment fee, discounts, rounding."""

    shipping: _Charge
    wrapping: _Charge
    payment_fee: PaymentFeeRule
    discounts: DiscountRule
    rounding: RoundingRule


# --- vat.yaml ----------------------------------------------------------------


class ZeroRated(RuleModel):
    """Where product lines of a 0 % order (verlegd, export) are booked.

    ``own_article`` keeps each product's article (SnelStart then applies the
    article's omzetgroep, so the relatie must be set up for it there);
    ``article`` books them on one configured article whose omzetgroep has the
    right VAT and ledger, keeping the shop's description and price.
    """

    product_lines: Literal["own_article", "article"] = "own_article"
    article: str | None = Field(None, description="article code for `article`")

    @model_validator(mode="after")
    def _article_given(self) -> ZeroRated:
        if (self.product_lines == "article") != bool(self.article):
            msg = "give `article` exactly when `product_lines: article`"
            raise ValueError(msg)
        return self


class ReverseCharge(ZeroRated):
    """EU B2B: a valid VAT number in another EU country -> VAT verlegd."""

    enabled: bool = True
    shop_charged_vat: Literal["quarantine", "follow_shop"] = "quarantine"


class VatRules(RuleModel):
    """vat.yaml: shop tax rate -> VAT kind, per country, with OSS and verlegd."""

    home_country: str = Field("NL", pattern=r"^[A-Z]{2}$")
    table: str = Field("vat_rates", description="lookup: country, rate -> kind")
    eu_countries: tuple[str, ...] = Field(min_length=1)
    oss: bool | Literal["auto"] = Field(
        "auto",
        description="EU consumers abroad at their own rates: true, false, or "
        "auto (when the shop charged that country's rates, else home rates)",
    )
    reverse_charge: ReverseCharge = Field(default_factory=ReverseCharge)
    export: ZeroRated = Field(default_factory=ZeroRated)

    @field_validator("oss", mode="before")
    @classmethod
    def _oss_choice(cls, value: Any) -> Any:
        if value is True or value is False or value == "auto":
            return value
        msg = f"{value!r} is not one of true, false, 'auto'"
        raise ValueError(msg)

    @field_validator("eu_countries")
    @classmethod
    def _iso2(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        bad = [c for c in value if not re.match(r"^[A-Z]{2}$", c)]
        if bad:
            msg = f"{bad!r} are not ISO-2 country codes"
            raise ValueError(msg)
        return value


# --- order_header.yaml -------------------------------------------------------


class TemplateRule(RuleModel):
    """Which verkoopordersjabloon an order gets."""

    mode: Literal["fixed", "last_used"] = "fixed"
    fixed: NamedRef | None = Field(
        None, description="sjabloon omschrijving; none leaves SnelStart's default"
    )


class PaymentReference(RuleModel):
    """The betalingskenmerk and SnelStart-side duplicate check."""

    source: Literal["reference", "order_id", "invoice_number"] = "reference"
    duplicate_check: bool = True


class Description(RuleModel):
    """The order's omschrijving."""

    mode: Literal["generated", "empty", "profile_name", "webshop_order"] = (
        "webshop_order"
    )
    webshop_order: str = "Webshop-order {order.order_id}"
    generated: str = "{order.state_name} - {payment.payment_method|order.payment}"

    @field_validator("webshop_order", "generated")
    @classmethod
    def _template(cls, value: str) -> str:
        return check_template(value)


class HeaderRules(RuleModel):
    """order_header.yaml: everything on the verkooporder but its lines."""

    template: TemplateRule = Field(default_factory=TemplateRule)
    betalingskenmerk: PaymentReference = Field(default_factory=PaymentReference)
    omschrijving: Description = Field(default_factory=Description)
    orderreferentie: str = Field("PS-{order.order_id}", min_length=1)
    proces_status: Literal[
        "Order", "Offerte", "Bevestiging", "Werkbon", "Pakbon", "Afhaalbon"
    ] = "Order"
    kostenplaats: NamedRef | None = Field(
        None, description="kostenplaats nummer or omschrijving"
    )
    addresses: Literal["order", "customer_card"] = "order"
    datum: Literal["order_date", "payment_date", "invoice_date"] = "order_date"
    memo: str | None = None

    @field_validator("orderreferentie", "memo")
    @classmethod
    def _template(cls, value: str | None) -> str | None:
        return None if value is None else check_template(value)
