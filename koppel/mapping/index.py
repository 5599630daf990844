"""Look-ups over a SnelstartSnapshot, built once per plan.

SnelStart returns camelCase JSON with every field optional; this index reads
it defensively and normalises the keys customer matching compares on.
Inactive relaties and relaties that are not customers are never candidates.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from koppel.mapping.transforms import (
    normalise_emails,
    normalise_name,
    normalise_postcode,
    normalise_vat_number,
)
from koppel.plan import SnelstartSnapshot

__all__ = ["SnapshotIndex", "relatie_postcodes"]


def _text(value: object) -> str:
    return "" if value is None else str(value)


def relatie_postcodes(relatie: dict[str, Any]) -> set[str]:
    """Normalised postcodes of a relatie's two addresses."""
    found = set()
    for key in ("vestigingsAdres", "correspondentieAdres"):
        address = relatie.get(key) or {}
        code = normalise_postcode(_text(address.get("postcode")))
        if code:
            found.add(code)
    return found


def _is_customer(relatie: dict[str, Any]) -> bool:
    kinds = relatie.get("relatiesoort")
    if relatie.get("nonactief"):
        return False
    return not kinds or "Klant" in kinds


def _by_ref(records: list[dict[str, Any]], ref: int | str) -> dict[str, Any] | None:
    if isinstance(ref, int):
        found = [r for r in records if r.get("nummer") == ref]
    else:
        wanted = ref.casefold().strip()
        found = [
            r
            for r in records
            if _text(r.get("omschrijving")).casefold().strip() == wanted
        ]
    return found[0] if len(found) == 1 else None


class SnapshotIndex:
    """Indexes of the snapshot's relaties, artikelen and reference lists."""

    def __init__(self, snapshot: SnelstartSnapshot) -> None:
        self.snapshot = snapshot
        self.company = snapshot.company_info or {}
        self._relaties = [r for r in snapshot.relaties if _is_customer(r)]
        self._by_code: dict[int, list[dict[str, Any]]] = defaultdict(list)
        self._by_email: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self._by_vat: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self._by_name: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for relatie in self._relaties:
            self._index_relatie(relatie)
        self._artikelen = {
            _text(a.get("artikelcode")): a
            for a in snapshot.artikelen
            if a.get("artikelcode") is not None
        }
        self._landen = {
            _text(land.get("landcode")).upper(): land for land in snapshot.landen
        }
        self._omzetgroep_ids = {
            g.get("id"): g for g in snapshot.artikelomzetgroepen if g.get("id")
        }

    def _index_relatie(self, relatie: dict[str, Any]) -> None:
        code = relatie.get("relatiecode")
        if code is not None:
            self._by_code[int(code)].append(relatie)
        for email in normalise_emails(_text(relatie.get("email"))):
            self._by_email[email].append(relatie)
        vat = normalise_vat_number(_text(relatie.get("btwNummer")))
        if vat:
            self._by_vat[vat].append(relatie)
        name = normalise_name(_text(relatie.get("naam")))
        if name:
            self._by_name[name].append(relatie)

    # --- relaties ---

    def relaties_by_code(self, code: int) -> list[dict[str, Any]]:
        """Active customers with this relatiecode (at most one in practice)."""
        return list(self._by_code.get(code, []))

    def relaties_by_email(self, email: str) -> list[dict[str, Any]]:
        """Active customers with this e-mail among their addresses."""
        return list(self._by_email.get(email, []))

    def relaties_by_vat(self, vat_number: str) -> list[dict[str, Any]]:
        """Active customers with this (normalised) VAT number."""
        return list(self._by_vat.get(vat_number, []))

    def relaties_by_name(self, name: str) -> list[dict[str, Any]]:
        """Active customers with this (normalised) name."""
        return list(self._by_name.get(name, []))

    def code_taken(self, code: int) -> bool:
        """Whether any relatie (active or not) already has this relatiecode."""
        return any(r.get("relatiecode") == code for r in self.snapshot.relaties)

    # --- artikelen ---

    def artikel(
        self, code: str, extra_field: str | None = None
    ) -> dict[str, Any] | None:
        """The article with this code (in artikelcode or an extra field)."""
        if extra_field is None:
            return self._artikelen.get(code)
        found = [
            a
            for a in self.snapshot.artikelen
            for extra in a.get("extraVelden") or ()
            if extra.get("naam") == extra_field and _text(extra.get("waarde")) == code
        ]
        return found[0] if len(found) == 1 else None

    def artikel_kind(self, artikel: dict[str, Any]) -> str | None:
        """The btwSoort of an article's omzetgroep, when the snapshot knows it."""
        ref = artikel.get("artikelOmzetgroep") or {}
        group = self._omzetgroep_ids.get(ref.get("id"))
        return None if group is None else group.get("verkoopNederlandBtwSoort")

    # --- reference lists ---

    def land_id(self, iso2: str) -> str | None:
        """SnelStart's land id for an ISO-2 country code (``landcode``)."""
        land = self._landen.get(iso2.upper())
        return None if land is None else land.get("id")

    def omzetgroep(self, ref: int | str) -> dict[str, Any] | None:
        """An omzetgroep by nummer (int) or omschrijving (str)."""
        return _by_ref(self.snapshot.artikelomzetgroepen, ref)

    def kostenplaats(self, ref: int | str) -> dict[str, Any] | None:
        """A kostenplaats by nummer (int) or omschrijving (str)."""
        return _by_ref(self.snapshot.kostenplaatsen, ref)

    def sjabloon(self, ref: int | str) -> dict[str, Any] | None:
        """An active verkoopordersjabloon by omschrijving."""
        active = [
            s for s in self.snapshot.verkoopordersjablonen if not s.get("nonactief")
        ]
        return _by_ref(active, str(ref))

    def last_sjabloon_id(self, relatie_id: str) -> str | None:
        """The template of this relatie's most recent order in the snapshot."""
        orders = [
            o
            for o in self.snapshot.verkooporders
            if (o.get("relatie") or {}).get("id") == relatie_id
            and (o.get("verkoopordersjabloon") or {}).get("id")
        ]
        if not orders:
            return None
        latest = max(
            orders,
            key=lambda o: (
                _text(o.get("datum")),
                _text(o.get("modifiedOn")),
                o.get("nummer") or 0,
            ),
        )
        return latest["verkoopordersjabloon"]["id"]

    @property
    def prices_excl(self) -> bool:
        """Whether SnelStart's article prices exclude VAT (its default)."""
        value = self.company.get("verkoopprijsArtikelbestandExclusiefBtw")
        return True if value is None else bool(value)
