"""The policy catalogue: EU documents, the 2024 corridors, and which map features they apply to.

The catalogue is data (`datasets/policies.yaml`), validated with pydantic when loaded. Links
between documents and features are rules in that file, not code: a rule states conditions on a
feature's layer, country, TEN-T port code recorded by GISCO, port type (sea, inland or unknown),
corridor membership, kind, UN/LOCODE and attributes or OSM tags, and the corridors section adds
membership links (ports by UN/LOCODE, lines by country). Adding a document or a rule needs no
code change.

Every fact the reference could not verify is either absent or named in a document's `unverified`
list, and every link carries how certain it is ("verified", "probable", "unverified") and whether
it was matched on the feature itself or only on its country. In an area where the application of
EU law is suspended (`eu_law_suspended`, e.g. the north of Cyprus), links that reach a feature
through its country are shown as unverified, with the reason.

Named country groups (EU27, NATO_EUROPE, ...) are reusable through `country_group(name)`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, field_validator, model_validator

from geo import settings, store
from geo.errors import CatalogueError, UnknownNameError
from geo.layers import get_layer, layer_names

DocumentId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=80)]
CountryCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
# A country code or the name of a `country_groups` entry (e.g. "EU27").
CountryRef = Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9_]+$")]
Locode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}[A-Z2-9]{3}$")]
# ISO date, possibly partial: yyyy, yyyy-mm or yyyy-mm-dd.
PartialDate = Annotated[str, StringConstraints(pattern=r"^\d{4}(-\d{2}(-\d{2})?)?$")]

Mode = Literal["rail", "road", "inland_waterway", "maritime_ports", "air", "multimodal", "urban_nodes"]
Status = Literal[
    "in_force", "repealed", "proposal", "superseded", "adopted", "ongoing", "closed", "completed", "service"
]
DocumentType = Literal[
    "regulation",
    "implementing_regulation",
    "directive",
    "proposal",
    "communication",
    "joint_communication",
    "action_plan",
    "report",
    "white_paper",
    "council_document",
    "council_conclusions",
    "council_decision",
    "declaration",
    "customs_rules",
    "funding_calls",
    "work_plan",
    "exercise",
    "dataset",
    "corridor",
]
IdentifierScheme = Literal["celex", "com", "join", "swd", "procedure", "oj", "council", "nato", "c_number"]
# "consolidated": date of a consolidated version; "announced": a public announcement, not an adoption.
DateKind = Literal["adopted", "published", "entry_into_force", "consolidated", "announced"]
# Which date is a document's main one, first match wins.
_DATE_ORDER: tuple[str, ...] = ("adopted", "published", "entry_into_force", "consolidated", "announced")
# How sure the reference is about a document as a whole.
DocumentCertainty = Literal["verified", "partial", "news_only"]
# How sure a link (document <-> feature, port <-> corridor) is.
LinkCertainty = Literal["verified", "probable", "unverified"]
Basis = Literal["feature", "country"]
# A port's `port_type`, "unknown" where the data cannot tell (null, or no such column).
PortType = Literal["sea", "inland", "unknown"]

STATUS_LABELS: dict[str, str] = {
    "in_force": "in force",
    "repealed": "repealed",
    "proposal": "proposal",
    "superseded": "superseded",
    "adopted": "adopted",
    "ongoing": "ongoing",
    "closed": "closed",
    "completed": "completed",
    "service": "online service",
}
DATE_LABELS: dict[str, str] = {
    "adopted": "adopted",
    "published": "published",
    "entry_into_force": "in force from",
    "consolidated": "consolidated",
    "announced": "announced",
}
# Which identifier a reader knows a document by, first match wins.
_IDENTIFIER_ORDER: tuple[str, ...] = ("com", "join", "celex", "council", "nato", "c_number", "oj")
_LINK_RANK = {"verified": 0, "probable": 1, "unverified": 2}
_DOCUMENT_FIELDS_WITH_CERTAINTY = ("url", "status", "status_note", "summary", "scope", "title")
NOT_ESTABLISHED = "not established"
UNVERIFIED_ADDRESS = "official site, address not verified"
# libyaml's safe loader when available (about 10x faster), else the pure-Python one.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Document(_Model):
    """One policy document (or corridor) of the catalogue."""

    id: DocumentId
    short_title: str = Field(min_length=3, max_length=90)
    title: str = Field(min_length=3)
    type: DocumentType
    identifiers: dict[IdentifierScheme, str] = Field(default_factory=dict)
    dates: dict[DateKind, PartialDate] = Field(default_factory=dict)
    status: Status
    status_note: str | None = None
    repealed_by: DocumentId | None = None
    superseded_by: DocumentId | None = None
    # For corridors: the act that defines them.
    defined_by: DocumentId | None = None
    url: str | None = None
    modes: tuple[Mode, ...] = Field(min_length=1)
    scope: str
    summary: str = Field(min_length=10)
    certainty: DocumentCertainty
    # Fields the reference did not verify, as paths: "url", "dates.adopted", "identifiers.celex", ...
    unverified: tuple[str, ...] = ()
    notes: str | None = None

    @field_validator("url")
    @classmethod
    def _url_is_a_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme != "https" or not parts.hostname:
            raise ValueError(f"not an https URL: {value!r} (leave it empty when no address is verified)")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Document:
        if self.status == "repealed" and not self.repealed_by:
            raise ValueError("status 'repealed' needs 'repealed_by' (the id of the successor)")
        if self.status == "superseded" and not self.superseded_by:
            raise ValueError("status 'superseded' needs 'superseded_by' (the id of the successor)")
        if (self.type == "corridor") != (self.defined_by is not None):
            raise ValueError("'defined_by' is required for corridors and only for them")
        for path in self.unverified:
            head, _, key = path.partition(".")
            known = (
                (head == "identifiers" and key in self.identifiers)
                or (head == "dates" and key in self.dates)
                or (not key and head in _DOCUMENT_FIELDS_WITH_CERTAINTY and getattr(self, head) is not None)
            )
            if not known:
                raise ValueError(f"'unverified' names {path!r}, which this document does not have")
        if self.certainty == "news_only":
            # Seen only in the news: its status, dates and summary must say so wherever they are shown.
            needed = ["status", *(f"dates.{kind}" for kind in self.dates), "summary"]
            missing = [path for path in needed if path not in self.unverified]
            if missing:
                raise ValueError(f"a news_only document must list {', '.join(missing)} in 'unverified'")
        return self

    def is_unverified(self, path: str) -> bool:
        """Whether the field at `path` (e.g. "url", "dates.adopted") is unverified."""
        return path in self.unverified or self.certainty == "news_only"

    @property
    def identifier(self) -> str | None:
        """The official identifier readers know it by (COM/JOIN number, else CELEX, ...), if any."""
        scheme = self.identifier_scheme
        return self.identifiers[scheme] if scheme else None

    @property
    def identifier_scheme(self) -> str | None:
        return next((s for s in _IDENTIFIER_ORDER if s in self.identifiers), None)

    @property
    def date_kind(self) -> str | None:
        """Which date is the main one: the first of `_DATE_ORDER` it has ("adopted", "published", ...)."""
        return next((kind for kind in _DATE_ORDER if kind in self.dates), None)

    @property
    def date(self) -> str | None:
        """The document's main date (see `date_kind`), possibly partial (yyyy or yyyy-mm)."""
        return self.dates[self.date_kind] if self.date_kind else None

    @property
    def successor(self) -> str | None:
        """The id of the document that repealed or superseded this one."""
        return self.repealed_by or self.superseded_by


class Rule(_Model):
    """Links `documents` to every feature matching all the conditions given (absent = any)."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9:_-]*$")
    documents: tuple[DocumentId, ...] = Field(min_length=1)
    layers: tuple[str, ...] | None = None
    countries: tuple[CountryRef, ...] | None = None
    # true: a TEN-T port code is recorded in GISCO's 2013 data; false: none is (0, or not in GISCO).
    ten_t: bool | None = None
    port_types: tuple[PortType, ...] | None = None
    # true: the port's UN/LOCODE is named (verified or probable) in a corridor's `ports`.
    corridor_port: bool | None = None
    kinds: tuple[str, ...] | None = None
    locodes: tuple[Locode, ...] | None = None
    attributes: dict[str, tuple[str, ...]] | None = None
    basis: Basis
    certainty: LinkCertainty
    relevance: int = Field(ge=0, le=100)
    reason: str = Field(min_length=5)

    @field_validator("layers")
    @classmethod
    def _known_layers(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        for name in value or ():
            get_layer(name)  # UnknownLayerError (a ValueError) names the known layers
        return value


class CorridorPort(_Model):
    name: str
    locode: Locode
    verification: Literal["verified", "probable"]


class CorridorNode(_Model):
    """A place the Commission's overview names on a corridor, as a GeoNames place of `datasets/places.parquet`."""

    name: str
    place: str = Field(pattern=r"^geonames:\d+$")


class Corridor(_Model):
    """One 2024 European Transport Corridor: its countries and ports, as far as verified.

    `nodes`: chains of places the Commission's overview names in order (`nodes_source` quotes it), between
    which the atlas routes an indicative line (`geo.route.corridor_lines`); `nodes_note` says what is left
    out, or why a corridor has no nodes (it is then shown by country).
    """

    document: DocumentId
    name: str
    coordinator: str | None = None
    verification: Literal["verified", "partial"]
    countries: tuple[CountryCode, ...] = ()
    # From the pre-2024 alignment only; shown as unverified.
    countries_unverified: tuple[CountryCode, ...] = ()
    ports: tuple[CorridorPort, ...] = ()
    nodes: tuple[tuple[CorridorNode, ...], ...] = ()
    nodes_source: str | None = None
    nodes_note: str | None = None
    notes: str | None = None

    @model_validator(mode="after")
    def _nodes_are_sourced(self) -> Corridor:
        if any(len(chain) < 2 for chain in self.nodes):
            raise ValueError("each chain of 'nodes' needs at least two places")
        if self.nodes and (self.verification != "verified" or not self.nodes_source):
            raise ValueError("'nodes' are only for verified corridors, with 'nodes_source' quoting the source")
        if not self.nodes and not self.nodes_note:
            raise ValueError("a corridor without 'nodes' needs a 'nodes_note' saying why")
        return self


StandardCertainty = Literal["adopted_text", "reported", "demanded"]
# How sure the catalogue is of a standard, in words a reader can quote.
STANDARD_CERTAINTY: dict[str, str] = {
    "adopted_text": "read in the adopted text",
    "reported": "reported by a secondary source, not read in the legal text",
    "demanded": "demanded by the freight sector, not law by itself",
}


class Standard(_Model):
    """A TEN-T infrastructure standard, with where it comes from and how sure the catalogue is of it.

    `article` is given only when the standard was read in the adopted text (`certainty` "adopted_text").
    `measure` names the route figure the data has for it ("electrified"); without one, `unknown_because`
    says what the data lacks.
    """

    id: DocumentId
    standard: str = Field(min_length=5)
    applies_to: str
    deadline: str | None = None
    document: DocumentId
    article: str | None = None
    certainty: StandardCertainty
    source: str = Field(min_length=10)
    measure: Literal["electrified"] | None = None
    unknown_because: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Standard:
        if (self.article is not None) != (self.certainty == "adopted_text"):
            raise ValueError("an 'article' is given exactly when the standard was read in the adopted text")
        if self.measure is None and not self.unknown_because:
            raise ValueError("a standard without a 'measure' needs 'unknown_because'")
        return self


class Standards(_Model):
    note: str = Field(min_length=10)
    items: tuple[Standard, ...] = ()


EntryPortRole = Literal["named", "named_country", "compared"]
# Why a port is on the entry-ports list, in words a reader can quote.
ENTRY_PORT_ROLES: dict[str, str] = {
    "named": "Entry port named in the public debate on military mobility.",
    "named_country": "One of the main ports of its country, whose ports the public debate on military mobility names as a group.",
    "compared": "Not named in the public debate; listed beside the entry ports for comparison.",
}


class EntryPort(_Model):
    """A port on the list of entry ports of the public debate (see `ENTRY_PORT_ROLES`)."""

    name: str
    locode: Locode
    role: EntryPortRole
    cnc_2013: tuple[str, ...] = ()
    note: str | None = None

    @property
    def country(self) -> str:
        """ISO 3166-1 alpha-2 code: the first two letters of the UN/LOCODE."""
        return self.locode[:2]


class CountryGroup(_Model):
    """A named set of ISO 3166-1 alpha-2 codes usable in rules (e.g. "EU27"), with where it comes from."""

    codes: tuple[CountryCode, ...] = Field(min_length=1)
    source: str = Field(min_length=10)

    @field_validator("codes")
    @classmethod
    def _unique(cls, codes: tuple[str, ...]) -> tuple[str, ...]:
        repeated = sorted({code for code in codes if codes.count(code) > 1})
        if repeated:
            raise ValueError(f"repeats {', '.join(repeated)}")
        return codes


class SuspendedArea(_Model):
    """An area of a member state where the application of EU law is suspended (e.g. the north of Cyprus).

    Its outline is built from the Natural Earth country `natural_earth` (ADM0_A3) into
    `datasets/eu_law_suspended.parquet` by `python -m geo build-default`.
    """

    id: DocumentId
    name: str
    country: CountryCode
    natural_earth: str = Field(pattern=r"^[A-Z0-9]{3}$")
    legal_basis: str = Field(min_length=10)
    reason: str = Field(min_length=10)


class Provenance(_Model):
    reference: str
    note: str
    corridors_note: str


class CatalogueInfo(_Model):
    title: str
    version: str
    licence: str
    provenance: Provenance


@dataclass(frozen=True)
class Link:
    """Why one document applies to one feature."""

    document: str
    relevance: int
    certainty: str
    basis: str
    reason: str


@dataclass(frozen=True)
class PortCorridor:
    corridor: Corridor
    status: str  # "verified" or "probable"


@dataclass(frozen=True)
class Catalogue:
    """The validated catalogue; build it with `load_catalogue()`."""

    info: CatalogueInfo
    official_hosts: frozenset[str]
    country_groups: Mapping[str, CountryGroup]
    documents: Mapping[str, Document]
    corridors: tuple[Corridor, ...]
    rules: tuple[Rule, ...]  # the file's rules followed by the corridor membership rules
    entry_ports: tuple[EntryPort, ...]
    eu_law_suspended: tuple[SuspendedArea, ...] = ()
    standards: Standards | None = None

    def document(self, doc_id: str) -> Document:
        """The document `doc_id`; UnknownNameError (a KeyError) naming it otherwise."""
        try:
            return self.documents[doc_id]
        except KeyError:
            raise UnknownNameError(f"unknown document {doc_id!r}; see `python -m geo policies`") from None

    def expand_countries(self, refs: Iterable[str]) -> frozenset[str]:
        """ISO codes for a list of codes and group names."""
        codes: set[str] = set()
        for ref in refs:
            group = self.country_groups.get(ref)
            codes.update(group.codes if group else (ref,))
        return frozenset(codes)

    def country_group(self, name: str) -> frozenset[str]:
        """The ISO codes of the group `name` (e.g. "EU27", "NATO_EUROPE"); KeyError naming the groups otherwise."""
        group = self.country_groups.get(name.strip().upper())
        if group is None:
            raise UnknownNameError(f"unknown country group {name!r}; choose one of: {', '.join(self.country_groups)}")
        return frozenset(group.codes)

    def official_link(self, doc_id: str, include_unverified: bool = False) -> tuple[str, str] | None:
        """(url, label) of the official text; a corridor links to the act that defines it.

        An address the reference did not verify (e.g. built from an inferred CELEX number) is
        only returned with `include_unverified=True`, labelled as such.
        """
        doc = self.document(doc_id)
        if doc.url and not doc.is_unverified("url"):
            return doc.url, "official text"
        if doc.url and include_unverified:
            return doc.url, UNVERIFIED_ADDRESS
        if doc.defined_by:
            parent = self.document(doc.defined_by)
            if parent.url and not parent.is_unverified("url"):
                return parent.url, f"defined in {parent.short_title}"
        return None

    @property
    def corridor_locodes(self) -> frozenset[str]:
        """The UN/LOCODEs of every port named, verified or probable, on a corridor."""
        return frozenset(port.locode for corridor in self.corridors for port in corridor.ports if port.locode)

    def corridor(self, key: str) -> Corridor:
        """A corridor by document id or name (case-insensitive)."""
        wanted = key.strip().lower()
        for corridor in self.corridors:
            if wanted in (corridor.document, corridor.name.lower()):
                return corridor
        raise UnknownNameError(f"unknown corridor {key!r}; choose one of: {', '.join(c.name for c in self.corridors)}")


# --------------------------------------------------------------------------- loading


def default_path() -> Path:
    return settings.DATASETS_DIR / "policies.yaml"


def _describe(exc: ValidationError) -> str:
    first = exc.errors()[0]
    field = ".".join(str(p) for p in first["loc"]) or "(entry)"
    more = f" (+{exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    # YAML 1.1 reads an unquoted NO (Norway) as false.
    hint = " (quote it: YAML reads NO/YES/ON/OFF as booleans)" if isinstance(first.get("input"), bool) else ""
    return f"field {field!r}: {first['msg']}{hint}{more}"


def _parse_entries(raw: object, section: str, model: type[_Model], key: str) -> list:
    if not isinstance(raw, list):
        raise CatalogueError(f"section {section!r} must be a list")
    entries = []
    for index, item in enumerate(raw):
        name = item.get(key) if isinstance(item, dict) else None
        label = f"{section} entry {name!r}" if name else f"{section} entry #{index + 1}"
        try:
            entries.append(model.model_validate(item))
        except ValidationError as exc:
            raise CatalogueError(f"{label}: {_describe(exc)}") from None
    return entries


def _layers_with(column: str) -> tuple[str, ...]:
    """The layers whose features carry `column` (e.g. the UN/LOCODE of ports)."""
    return tuple(name for name in layer_names() if column in get_layer(name).columns)


def _corridor_rules(corridor: Corridor, defined_by: str) -> list[Rule]:
    """Membership links of one corridor: its ports by UN/LOCODE, lines by the countries it crosses."""
    documents = (corridor.document, defined_by)
    rules = []
    for level, relevance in (("verified", 92), ("probable", 88)):
        locodes = tuple(p.locode for p in corridor.ports if p.verification == level and p.locode)
        if locodes:
            wording = (
                "Named as a port of"
                if level == "verified"
                else "Probably a port of (likely, but not named on the Commission page)"
            )
            rules.append(
                Rule(
                    id=f"corridor:{corridor.document}:ports-{level}",
                    documents=documents,
                    layers=_layers_with("locode"),
                    locodes=locodes,
                    basis="feature",
                    certainty=level,
                    relevance=relevance,
                    reason=f"{wording} the {corridor.name} corridor, a European Transport Corridor of the TEN-T Regulation.",
                )
            )
    for countries, level, relevance, wording in (
        (corridor.countries, "verified", 65, "passes through this country"),
        (
            corridor.countries_unverified,
            "unverified",
            25,
            "crossed this country in its pre-2024 alignment; the 2024 alignment is not verified",
        ),
    ):
        if countries:
            rules.append(
                Rule(
                    id=f"corridor:{corridor.document}:countries-{level}",
                    documents=documents,
                    layers=tuple(name for name in layer_names() if get_layer(name).geometry == "line"),
                    countries=countries,
                    basis="country",
                    certainty=level,
                    relevance=relevance,
                    reason=f"The {corridor.name} corridor {wording} (the line itself was not matched to it).",
                )
            )
    return rules


def _check_references(catalogue: Catalogue) -> None:
    docs = catalogue.documents
    hosts = catalogue.official_hosts
    groups = catalogue.country_groups
    for doc in docs.values():
        for field in ("repealed_by", "superseded_by", "defined_by"):
            target = getattr(doc, field)
            if target and target not in docs:
                raise CatalogueError(f"document {doc.id!r}: field {field!r} names unknown document {target!r}")
        if doc.url and urlsplit(doc.url).hostname not in hosts:
            raise CatalogueError(
                f"document {doc.id!r}: field 'url' is not on an official publisher ({urlsplit(doc.url).hostname}); "
                "leave it empty or add the publisher to official_hosts"
            )
    for rule in catalogue.rules:
        layer_modes = {mode for layer in rule.layers or layer_names() for mode in get_layer(layer).modes}
        for doc_id in rule.documents:
            if doc_id not in docs:
                raise CatalogueError(f"rule {rule.id!r}: field 'documents' names unknown document {doc_id!r}")
            if not layer_modes.intersection(docs[doc_id].modes):
                raise CatalogueError(
                    f"rule {rule.id!r}: field 'documents': {doc_id!r} has no mode of the rule's layers "
                    f"({', '.join(sorted(layer_modes))})"
                )
        for ref in rule.countries or ():
            if len(ref) != 2 and ref not in groups:
                raise CatalogueError(f"rule {rule.id!r}: field 'countries' names unknown country group {ref!r}")
    locodes = [port.locode for port in catalogue.entry_ports]
    repeated = sorted({code for code in locodes if locodes.count(code) > 1})
    if repeated:
        raise CatalogueError(f"entry ports: field 'locode' lists {', '.join(repeated)} more than once")
    for standard in catalogue.standards.items if catalogue.standards else ():
        if standard.document not in docs:
            raise CatalogueError(
                f"standard {standard.id!r}: field 'document' names unknown document {standard.document!r}"
            )
    area_ids = [area.id for area in catalogue.eu_law_suspended]
    if len(set(area_ids)) != len(area_ids):
        raise CatalogueError("eu_law_suspended: field 'id' is used twice")
    seen_corridors = {corridor.document for corridor in catalogue.corridors}
    missing = sorted(d.id for d in docs.values() if d.type == "corridor" and d.id not in seen_corridors)
    if missing:
        raise CatalogueError(f"corridor documents without a 'corridors' entry: {', '.join(missing)}")


def parse_catalogue(data: object, source: str = "catalogue") -> Catalogue:
    """Validate the parsed YAML `data` and build the Catalogue; CatalogueError names entry and field."""
    if not isinstance(data, dict):
        raise CatalogueError(f"{source}: expected a mapping at the top level")
    try:
        info = CatalogueInfo.model_validate(data.get("catalogue"))
    except ValidationError as exc:
        raise CatalogueError(f"{source}: section 'catalogue': {_describe(exc)}") from None
    raw_groups = data.get("country_groups") or {}
    if not isinstance(raw_groups, dict):
        raise CatalogueError(f"{source}: section 'country_groups' must map names to {{codes, source}}")
    groups: dict[str, CountryGroup] = {}
    for name, entry in raw_groups.items():
        if not re.fullmatch(r"[A-Z][A-Z0-9_]{2,}", str(name)):
            raise CatalogueError(
                f"{source}: country group {name!r}: its name must be 3 or more capitals, digits or _ (e.g. EU27)"
            )
        try:
            groups[str(name)] = CountryGroup.model_validate(entry)
        except ValidationError as exc:
            raise CatalogueError(f"{source}: country group {name!r}: {_describe(exc)}") from None
    hosts = data.get("official_hosts")
    if not isinstance(hosts, list) or not all(isinstance(h, str) for h in hosts):
        raise CatalogueError(f"{source}: section 'official_hosts' must be a list of host names")
    try:
        documents = _parse_entries(data.get("documents"), "document", Document, "id")
        corridors = _parse_entries(data.get("corridors"), "corridor", Corridor, "name")
        rules = _parse_entries(data.get("rules"), "rule", Rule, "id")
        entry_ports = _parse_entries(data.get("entry_ports") or [], "entry port", EntryPort, "name")
        areas = _parse_entries(data.get("eu_law_suspended") or [], "eu_law_suspended", SuspendedArea, "id")
    except CatalogueError as exc:
        raise CatalogueError(f"{source}: {exc}") from None
    try:
        standards = Standards.model_validate(data["tent_standards"]) if data.get("tent_standards") else None
    except ValidationError as exc:
        raise CatalogueError(f"{source}: section 'tent_standards': {_describe(exc)}") from None
    by_id: dict[str, Document] = {}
    for doc in documents:
        if doc.id in by_id:
            raise CatalogueError(f"{source}: document {doc.id!r}: field 'id' is used twice")
        by_id[doc.id] = doc
    for corridor in corridors:
        doc = by_id.get(corridor.document)
        if doc is None or doc.type != "corridor":
            raise CatalogueError(
                f"{source}: corridor entry {corridor.name!r}: field 'document' must name a corridor document"
            )
    derived = [r for c in corridors for r in _corridor_rules(c, by_id[c.document].defined_by or "")]
    rule_ids = [r.id for r in rules]
    if len(set(rule_ids)) != len(rule_ids):
        raise CatalogueError(f"{source}: rule ids must be unique")
    catalogue = Catalogue(
        info=info,
        official_hosts=frozenset(hosts),
        country_groups=groups,
        documents=by_id,
        corridors=tuple(corridors),
        rules=(*rules, *derived),
        entry_ports=tuple(entry_ports),
        eu_law_suspended=tuple(areas),
        standards=standards,
    )
    try:
        _check_references(catalogue)
    except CatalogueError as exc:
        raise CatalogueError(f"{source}: {exc}") from None
    return catalogue


@lru_cache(maxsize=4)
def _load(path: Path, mtime_ns: int) -> Catalogue:
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_YAML_LOADER)
    except yaml.YAMLError as exc:
        raise CatalogueError(f"{path}: not valid YAML ({exc})") from None
    return parse_catalogue(data, str(path))


def load_catalogue(path: Path | str | None = None) -> Catalogue:
    """The validated policy catalogue (default `datasets/policies.yaml`), cached per process.

    Raises CatalogueError naming the entry id and the field when the file is malformed.
    """
    path = Path(path or default_path()).resolve()
    try:
        mtime = path.stat().st_mtime_ns
    except OSError as exc:
        raise CatalogueError(f"policy catalogue {path} is unreadable: {exc}") from None
    return _load(path, mtime)


def country_group(name: str, catalogue: Catalogue | None = None) -> frozenset[str]:
    """ISO 3166-1 alpha-2 codes of a named group of the catalogue, e.g. "EU27" or "NATO_EUROPE".

    Raises KeyError naming the known groups for an unknown name.
    """
    return (catalogue or load_catalogue()).country_group(name)


# --------------------------------------------------------------------------- matching


def _tag_values(frame: pd.DataFrame, rows: np.ndarray, key: str) -> pd.Series:
    """The OSM tag `key` of the selected rows, parsed from the `tags` JSON (missing -> <NA>)."""
    values = pd.Series(pd.NA, index=frame.index, dtype="object")
    if "tags" not in frame.columns or not rows.any():
        return values
    parsed = []
    for text in frame["tags"].to_numpy()[rows]:
        try:
            tags = json.loads(text) if isinstance(text, str) else {}
        except ValueError:
            tags = {}
        value = tags.get(key) if isinstance(tags, dict) else None
        parsed.append(value if isinstance(value, str) else pd.NA)
    values.iloc[np.flatnonzero(rows)] = parsed
    return values


def _country_columns() -> tuple[str, ...]:
    """Every column any layer names its features' countries in ("country" first)."""
    columns = {name for layer in layer_names() for name in get_layer(layer).country_columns}
    return ("country", *sorted(columns - {"country"}))


def _rule_mask(rule: Rule, frame: pd.DataFrame, catalogue: Catalogue) -> np.ndarray:
    """Boolean array: which rows of `frame` the rule matches."""
    n = len(frame)
    mask = np.ones(n, dtype=bool)

    def column(name: str) -> pd.Series | None:
        return frame[name] if name in frame.columns else None

    def require(values: pd.Series | None, allowed: Iterable[str]) -> None:
        nonlocal mask
        if values is None:
            mask[:] = False
        else:
            mask &= values.isin(list(allowed)).fillna(False).to_numpy(dtype=bool)

    if rule.layers is not None:
        require(column("layer"), rule.layers)
    if rule.countries is not None:
        # A feature of several countries (a border crossing) matches when any of them does.
        codes = list(catalogue.expand_countries(rule.countries))
        hit = np.zeros(n, dtype=bool)
        for name in _country_columns():
            if name in frame.columns:
                hit |= frame[name].isin(codes).fillna(False).to_numpy(dtype=bool)
        mask &= hit
    if rule.kinds is not None:
        require(column("kind"), rule.kinds)
    if rule.locodes is not None:
        require(column("locode"), rule.locodes)
    if rule.ten_t is not None:
        codes = column("ten_t_code")
        if codes is None:
            mask[:] = False
        else:
            has_code = pd.to_numeric(codes, errors="coerce").fillna(0).to_numpy() > 0
            mask &= has_code == rule.ten_t
    if rule.port_types is not None:
        types = column("port_type")
        known = pd.Series(pd.NA, index=frame.index, dtype="string") if types is None else types.astype("string")
        require(known.fillna("unknown"), rule.port_types)
    if rule.corridor_port is not None:
        codes = column("locode")
        named = (
            np.zeros(n, dtype=bool) if codes is None else codes.isin(catalogue.corridor_locodes).to_numpy(dtype=bool)
        )
        mask &= named == rule.corridor_port
    for key, allowed in (rule.attributes or {}).items():
        if not mask.any():
            break
        tag = _tag_values(frame, mask, key)
        own = column(key)
        values = tag if own is None else own.astype("object").where(own.notna(), tag)
        require(values, allowed)
    return mask


def merge_links(links: Iterable[Link]) -> tuple[Link, ...]:
    """One link per document, ordered by its highest relevance; the surest link gives certainty and reason."""
    best: dict[str, Link] = {}
    top: dict[str, int] = {}
    for link in links:
        top[link.document] = max(top.get(link.document, -1), link.relevance)
        known = best.get(link.document)
        if known is None or _link_key(link) < _link_key(known):
            best[link.document] = link
    merged = (replace(link, relevance=top[link.document]) for link in best.values())
    return tuple(sorted(merged, key=lambda link: (-link.relevance, _link_key(link))))


def _rule_links(rules: Iterable[Rule], areas: Iterable[SuspendedArea], catalogue: Catalogue) -> tuple[Link, ...]:
    """The merged links of the rules a feature matched; `areas`: the suspended areas it lies in."""
    links = []
    for rule in rules:
        scope = _scope_countries(rule, catalogue)
        area = next((a for a in areas if scope is not None and a.country in scope), None)
        certainty, reason = (rule.certainty, rule.reason) if area is None else ("unverified", _area_reason(area, rule))
        links.extend(Link(doc_id, rule.relevance, certainty, rule.basis, reason) for doc_id in rule.documents)
    return merge_links(links)


def _area_reason(area: SuspendedArea, rule: Rule) -> str:
    return f"{area.reason} Why it would apply otherwise: {rule.reason}"


def _link_key(link: Link) -> tuple[int, int, int]:
    return (_LINK_RANK[link.certainty], 0 if link.basis == "feature" else 1, -link.relevance)


def link_patterns(frame: pd.DataFrame, catalogue: Catalogue | None = None) -> tuple[list[tuple[Link, ...]], np.ndarray]:
    """The distinct link lists of `frame` and, per row, the position of its list.

    Rules are evaluated column-wise; rows matching the same set of rules share one list, so
    callers can do per-list work (HTML, ids) once per pattern instead of once per feature.
    """
    catalogue = catalogue or load_catalogue()
    if frame.empty:
        return [], np.zeros(0, dtype=np.intp)
    areas = catalogue.eu_law_suspended
    columns = [_rule_mask(rule, frame, catalogue) for rule in catalogue.rules]
    columns += [in_suspended_area(area, frame) for area in areas]
    matrix = np.column_stack(columns)
    # One bytes key per row (its rule and area hits as bits) makes the grouping a 1-D factorize.
    packed = np.packbits(matrix, axis=1)
    inverse, uniques = pd.factorize(pd.Series([row.tobytes() for row in packed], dtype="object"))
    patterns = []
    n_rules = len(catalogue.rules)
    for position in range(len(uniques)):
        bits = matrix[np.argmax(inverse == position)]
        rules = [rule for rule, hit in zip(catalogue.rules, bits[:n_rules], strict=True) if hit]
        inside = [area for area, hit in zip(areas, bits[n_rules:], strict=True) if hit]
        patterns.append(_rule_links(rules, inside, catalogue))
    return patterns, inverse


def _per_row(frame: pd.DataFrame, values: list, inverse: np.ndarray) -> pd.Series:
    array = np.empty(len(values), dtype=object)
    array[:] = values
    return pd.Series(array[inverse] if len(values) else [], index=frame.index, dtype="object")


def links_for(frame: pd.DataFrame, catalogue: Catalogue | None = None) -> pd.Series:
    """For each feature of `frame` (any schema layer, or several), a tuple of `Link`, most relevant first."""
    patterns, inverse = link_patterns(frame, catalogue)
    return _per_row(frame, patterns, inverse)


def documents_for(frame: pd.DataFrame, catalogue: Catalogue | None = None) -> pd.Series:
    """For each feature of `frame`, a tuple of the ids of the documents that apply, most relevant first."""
    patterns, inverse = link_patterns(frame, catalogue)
    return _per_row(frame, [tuple(link.document for link in links) for links in patterns], inverse)


def _scope_countries(rule: Rule, catalogue: Catalogue) -> frozenset[str] | None:
    if rule.countries is not None:
        return catalogue.expand_countries(rule.countries)
    if rule.locodes is not None:
        return frozenset(code[:2] for code in rule.locodes)
    return None


def documents_for_selection(
    layers: Iterable[str], countries: Iterable[str] | None = None, catalogue: Catalogue | None = None
) -> list[Document]:
    """Documents that may apply to features of `layers` in `countries` (None = anywhere), most relevant first.

    Feature conditions (TEN-T code, port type, corridor membership, tags, kind, UN/LOCODE) are not
    checked: a document is listed when at least one feature of the selection could match one of its rules.
    """
    catalogue = catalogue or load_catalogue()
    layers = set(layers)
    for layer in layers:
        get_layer(layer)  # UnknownLayerError names the known layers
    wanted = None if countries is None else {c.upper() for c in countries}
    relevance: dict[str, int] = {}
    for rule in catalogue.rules:
        if rule.layers is not None and not layers.intersection(rule.layers):
            continue
        scope = _scope_countries(rule, catalogue)
        if wanted is not None and scope is not None and not wanted & scope:
            continue
        for doc_id in rule.documents:
            relevance[doc_id] = max(relevance.get(doc_id, -1), rule.relevance)
    order = {doc_id: i for i, doc_id in enumerate(catalogue.documents)}
    ranked = sorted(relevance, key=lambda d: (-relevance[d], order[d]))
    return [catalogue.documents[d] for d in ranked]


def features_for_document(
    doc_id: str,
    layers_frames: Mapping[str, pd.DataFrame],
    basis: Iterable[str] = ("feature", "country"),
    catalogue: Catalogue | None = None,
) -> dict[str, pd.Series]:
    """For "show on map": per layer, a boolean mask (same index as its frame) of features `doc_id` applies to.

    `basis=("feature",)` keeps only links matched on the features themselves (not just their country).
    """
    catalogue = catalogue or load_catalogue()
    catalogue.document(doc_id)  # KeyError for an unknown id
    basis = set(basis)
    rules = [r for r in catalogue.rules if doc_id in r.documents and r.basis in basis]
    masks = {}
    for layer, frame in layers_frames.items():
        mask = np.zeros(len(frame), dtype=bool)
        for rule in rules:
            mask |= _rule_mask(rule, frame, catalogue)
        masks[layer] = pd.Series(mask, index=frame.index, name=doc_id)
    return masks


# --------------------------------------------------------------------------- areas where EU law is suspended


def suspended_areas_path() -> Path:
    """datasets/eu_law_suspended.parquet: the outlines of the catalogue's `eu_law_suspended` areas."""
    return settings.DATASETS_DIR / "eu_law_suspended.parquet"


@lru_cache(maxsize=2)
def _outlines(path: Path, mtime_ns: int) -> dict[str, object]:
    try:
        frame = gpd.read_parquet(path)
    except Exception as exc:  # pyarrow raises several types for truncated or foreign files
        raise store.DatasetError(
            f"{path} is unreadable ({type(exc).__name__}: {exc}). Rebuild it with `{store.BUILD_COMMAND}`."
        ) from exc
    return dict(zip(frame["id"], frame.geometry.to_numpy(), strict=True))


def area_outline(area_id: str, path: Path | None = None) -> object:
    """The outline (shapely geometry, EPSG:4326) of the suspended area `area_id`.

    Raises store.DatasetError naming the rebuild command when the file or the area is missing.
    """
    path = Path(path or suspended_areas_path())
    try:
        mtime = path.stat().st_mtime_ns
    except OSError:
        raise store.DatasetError(
            f"{path} is missing. Rebuild the embedded data with `{store.BUILD_COMMAND}`."
        ) from None
    outlines = _outlines(path, mtime)
    if area_id not in outlines:
        raise store.DatasetError(f"{path} has no outline for {area_id!r}. Rebuild it with `{store.BUILD_COMMAND}`.")
    return outlines[area_id]


def in_suspended_area(area: SuspendedArea, frame: pd.DataFrame) -> np.ndarray:
    """Boolean array: which rows of `frame` (EPSG:4326) lie wholly or partly in `area`.

    Only rows of the area's country are tested. A row of that country without a geometry (or a
    frame without a `geometry` column) counts as inside: its location is unknown, so links that
    depend on EU law there cannot be shown as verified.
    """
    if "country" not in frame.columns:
        return np.zeros(len(frame), dtype=bool)
    rows = frame["country"].eq(area.country).fillna(False).to_numpy(dtype=bool)
    if not rows.any() or "geometry" not in frame.columns:
        return rows
    geometries = np.asarray(frame["geometry"].to_numpy()[rows], dtype=object)
    known = ~shapely.is_missing(geometries)
    inside = np.ones(len(geometries), dtype=bool)
    inside[known] = shapely.intersects(geometries[known], area_outline(area.id))
    mask = np.zeros(len(frame), dtype=bool)
    mask[np.flatnonzero(rows)] = inside
    return mask


# --------------------------------------------------------------------------- corridors and ports


def corridors(catalogue: Catalogue | None = None) -> tuple[Corridor, ...]:
    """The nine 2024 European Transport Corridors, with countries, ports and verification."""
    return (catalogue or load_catalogue()).corridors


def port_corridors(locode: str, catalogue: Catalogue | None = None) -> list[PortCorridor]:
    """The 2024 corridors a port (UN/LOCODE, e.g. "NLRTM") lies on, verified ones first.

    An empty list means no corridor is established for the port (`NOT_ESTABLISHED`).
    """
    catalogue = catalogue or load_catalogue()
    code = locode.replace(" ", "").upper()
    found = [
        PortCorridor(corridor, port.verification)
        for corridor in catalogue.corridors
        for port in corridor.ports
        if port.locode == code
    ]
    return sorted(found, key=lambda pc: _LINK_RANK[pc.status])


@dataclass(frozen=True)
class EntryPortView:
    """An entry port of the public debate, resolved against the port data."""

    entry: EntryPort
    feature_id: str | None  # the port feature with the entry's UN/LOCODE; None when the data lacks it
    corridors: list[PortCorridor]
    status: str  # "verified", "probable" or "not established"
    documents: tuple[Link, ...]


def entry_port_reason(entry: EntryPort, catalogue: Catalogue | None = None) -> str:
    """Why the port is on the entry-ports list and which 2024 corridors it is on, in plain words."""
    found = port_corridors(entry.locode, catalogue)
    corridors = "; ".join(f"{pc.corridor.name} ({pc.status})" for pc in found) or NOT_ESTABLISHED
    return " ".join(filter(None, [ENTRY_PORT_ROLES[entry.role], f"2024 corridors: {corridors}.", entry.note]))


def entry_ports(ports: pd.DataFrame, catalogue: Catalogue | None = None) -> list[EntryPortView]:
    """The entry ports of the public debate, in catalogue order, each with its corridors and documents.

    `ports` is the ports layer (e.g. `store.read_embedded("ports")`); each entry is the port
    feature with its UN/LOCODE (the first one if the data repeats the code).
    """
    catalogue = catalogue or load_catalogue()
    wanted = [entry.locode for entry in catalogue.entry_ports]
    found = ports[ports["locode"].isin(wanted).fillna(False).to_numpy(dtype=bool)].drop_duplicates("locode")
    links = dict(zip(found["locode"], links_for(found, catalogue), strict=True)) if len(found) else {}
    ids = dict(zip(found["locode"], found["id"], strict=True))
    views = []
    for entry in catalogue.entry_ports:
        corridors = port_corridors(entry.locode, catalogue)
        views.append(
            EntryPortView(
                entry=entry,
                feature_id=ids.get(entry.locode),
                corridors=corridors,
                status=corridors[0].status if corridors else NOT_ESTABLISHED,
                documents=links.get(entry.locode, ()),
            )
        )
    return views
