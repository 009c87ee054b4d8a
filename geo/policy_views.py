"""Policy catalogue output: JSON records (also what the map's popups show), tables for the app and text
for the CLI.

Built on `geo.policies` (catalogue, matching, corridors). What the reference could not verify is worded
by the functions here only (`applies_text`, `with_unverified_flag`, `certainty_text`, `status_text`),
wherever it is shown. Tables are plain data for `st.dataframe`, which does not render HTML.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from geo.layers import layer_names
from geo.policies import (
    DATE_LABELS,
    ENTRY_PORT_ROLES,
    NOT_ESTABLISHED,
    STATUS_LABELS,
    UNVERIFIED_ADDRESS,
    Catalogue,
    Document,
    Link,
    documents_for_selection,
    entry_ports,
    features_for_document,
    link_patterns,
    links_for,
    load_catalogue,
    port_corridors,
)

# How a document reaches a feature, said apart from its web address (`address_text`).
_MATCH_BASIS = {"feature": "matched on the feature", "country": "by country"}
NO_ADDRESS = "no official address"


def applies_text(certainty: str, basis: str) -> str:
    """How sure the match of a document to a feature is, e.g. "applies: verified, matched on the feature".

    "by country" means only the feature's country was matched, not the feature itself.
    """
    return f"applies: {certainty}, {_MATCH_BASIS[basis]}"


def address_text(record: Mapping) -> str:
    """The state of a document's web address (a `document_record`): "official text" (or "defined in ..."
    for a corridor), "official site, address not verified", or "no official address"."""
    if record["url"]:
        return record["url_label"]
    return UNVERIFIED_ADDRESS if record["unverified_url"] else NO_ADDRESS


def status_label(doc: Document, catalogue: Catalogue | None = None) -> str:
    """E.g. "in force", "repealed by Rail Capacity Regulation (EU) 2026/1184"."""
    label = STATUS_LABELS[doc.status]
    if not doc.successor:
        return label
    catalogue = catalogue or load_catalogue()
    return f"{label} by {catalogue.document(doc.successor).short_title}"


def document_record(doc: Document, catalogue: Catalogue | None = None) -> dict:
    """A flat, JSON-ready description of a document (what the CLI prints and the app shows)."""
    catalogue = catalogue or load_catalogue()
    link = catalogue.official_link(doc.id)
    unverified_link = catalogue.official_link(doc.id, include_unverified=True) if link is None else None
    record = {
        "id": doc.id,
        "short_title": doc.short_title,
        "title": doc.title,
        "type": doc.type,
        "identifier": doc.identifier,
        "identifier_unverified": bool(doc.identifier_scheme)
        and doc.is_unverified(f"identifiers.{doc.identifier_scheme}"),
        "date": doc.date,
        "date_kind": doc.date_kind,
        "date_unverified": bool(doc.date_kind) and doc.is_unverified(f"dates.{doc.date_kind}"),
        "status": doc.status,
        "status_label": status_label(doc, catalogue),
        "status_unverified": doc.is_unverified("status"),
        "successor": doc.successor,
        "status_note": doc.status_note,
        # Only a verified address of an official publisher; see `unverified_url` for the others.
        "url": link[0] if link else None,
        "url_label": link[1] if link else None,
        "unverified_url": unverified_link[0] if unverified_link else None,
        "modes": list(doc.modes),
        "scope": doc.scope,
        "summary": doc.summary,
        "certainty": doc.certainty,
        "unverified": list(doc.unverified),
        "notes": doc.notes,
    }
    record["address"] = address_text(record)
    return record


def documents_table(catalogue: Catalogue | None = None) -> dict[str, dict]:
    """{id: record} of every document, for popups built from per-feature document ids."""
    catalogue = catalogue or load_catalogue()
    return {doc_id: document_record(doc, catalogue) for doc_id, doc in catalogue.documents.items()}


# --------------------------------------------------------------------------- reports (CLI, JSON)


def selection_report(
    layers: Iterable[str] | None = None, countries: Iterable[str] | None = None, catalogue: Catalogue | None = None
) -> dict:
    """JSON-ready {"selection", "documents"} for layers (None = all) and ISO countries (None = anywhere)."""
    catalogue = catalogue or load_catalogue()
    layers = list(layers or layer_names())
    countries = None if countries is None else list(countries)
    documents = documents_for_selection(layers, countries, catalogue)
    return {
        "selection": {"layers": layers, "countries": countries},
        "documents": [document_record(doc, catalogue) for doc in documents],
    }


def feature_report(feature: pd.DataFrame, catalogue: Catalogue | None = None) -> dict:
    """JSON-ready {"selection", "documents"} for a one-row frame: each document with why it applies.

    For a port, `selection["corridors"]` lists its 2024 corridors, or says "not established".
    """
    catalogue = catalogue or load_catalogue()
    row = feature.iloc[0]
    selection = {key: _plain(row.get(key)) for key in ("id", "name", "layer", "country")}
    if "locode" in row.index:  # a port: its corridors by UN/LOCODE
        locode = _plain(row.get("locode"))
        found = port_corridors(locode, catalogue) if locode else []
        selection["corridors"] = [
            {"corridor": pc.corridor.name, "status": pc.status} for pc in found
        ] or NOT_ESTABLISHED
    documents = [
        {
            **document_record(catalogue.document(link.document), catalogue),
            # How sure the match of the document to this feature is; the address is in "address".
            "match_certainty": link.certainty,
            "match_basis": link.basis,
            "applies": applies_text(link.certainty, link.basis),
            "reason": link.reason,
        }
        for link in links_for(feature.iloc[:1], catalogue).iloc[0]
    ]
    return {"selection": selection, "documents": documents}


def _plain(value: object) -> object:
    return None if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)) else value


def report_text(report: dict) -> str:
    """Plain-text rendering of `selection_report` / `feature_report` output."""
    selection = report["selection"]
    records = report["documents"]
    if "id" in selection:
        heading = f"{selection['id']}  {selection['name'] or '(no name)'} ({selection['layer']}, {selection['country'] or 'no country'})"
    else:
        where = f" in {', '.join(selection['countries'])}" if selection["countries"] else ""
        heading = f"Documents that may apply to {', '.join(selection['layers'])}{where}"
    lines = [f"{heading}: {len(records)} documents"]
    corridors = selection.get("corridors")
    if corridors is not None:
        text = (
            corridors
            if isinstance(corridors, str)
            else "; ".join(f"{c['corridor']} ({c['status']})" for c in corridors)
        )
        lines.append(f"2024 corridors: {text}")
    for record in records:
        lines.append(f"- {record['id']}: {record['short_title']} [{status_text(record)}]")
        if "applies" in record:
            lines.append(f"    {record['applies']}; why: {record['reason']}")
        url = record["url"] or record["unverified_url"]
        lines.append(f"    {record['address']}: {url}" if url else f"    {record['address']}")
    return "\n".join(lines)


# --------------------------------------------------------------------------- per-feature popups and app tables


def document_view(
    frames: Mapping[str, pd.DataFrame], doc_id: str, catalogue: Catalogue | None = None
) -> tuple[dict[str, pd.DataFrame], str]:
    """For "show on map": the features of `frames` that `doc_id` applies to, and a line saying so.

    Features linked only through their country are included (the popups say which is which).
    """
    catalogue = catalogue or load_catalogue()
    doc = catalogue.document(doc_id)
    masks = features_for_document(doc_id, frames, catalogue=catalogue)
    kept = {layer: frame[masks[layer].to_numpy()] for layer, frame in frames.items()}
    counts = ", ".join(f"{len(frame):,} {layer}" for layer, frame in kept.items()) or "no layer shown"
    return kept, f"Showing only what {doc.short_title} applies to: {counts}."


def filter_documents(
    documents: Iterable[Document], modes: Iterable[str] | None = None, statuses: Iterable[str] | None = None
) -> list[Document]:
    """Documents having any of `modes` and one of `statuses` (None = no filter), order kept."""
    modes = None if modes is None else set(modes)
    statuses = None if statuses is None else set(statuses)
    return [
        doc
        for doc in documents
        if (modes is None or modes.intersection(doc.modes)) and (statuses is None or doc.status in statuses)
    ]


_CERTAINTY_LABELS = {
    "verified": "verified",
    "partial": "partly verified",
    "news_only": "news reports only",
}


def with_unverified_flag(value: str | None, unverified: bool) -> str | None:
    """`value` with "(unverified)" appended when the catalogue could not verify it."""
    return f"{value} (unverified)" if value and unverified else value


def certainty_text(certainty: str) -> str:
    """How far the reference verified a document, in words: "verified", "partly verified", "news reports only"."""
    return _CERTAINTY_LABELS[certainty]


def status_text(record: Mapping) -> str:
    """A document record's status as every view shows it: flagged "(unverified)" when the reference could
    not verify it, followed by how far the document is verified unless it is fully, e.g. "in force",
    "in force, partly verified", "completed (unverified), news reports only"."""
    status = with_unverified_flag(record["status_label"], record["status_unverified"])
    return status if record["certainty"] == "verified" else f"{status}, {certainty_text(record['certainty'])}"


def dated(record: Mapping) -> str | None:
    """A document record's main date with its kind, e.g. "adopted 2024-06-13", "announced 2024-01-18 (unverified)"."""
    if not record["date"]:
        return None
    return with_unverified_flag(f"{DATE_LABELS[record['date_kind']]} {record['date']}", record["date_unverified"])


def documents_frame(documents: Sequence[Document], catalogue: Catalogue | None = None) -> pd.DataFrame:
    """A table of documents for the policy panel, one row each.

    `address` says whether there is an official text; its URL is in `official text`, or in
    `address not verified` for an address on an official site that the reference did not verify.
    """
    catalogue = catalogue or load_catalogue()
    rows = []
    for doc in documents:
        record = document_record(doc, catalogue)
        rows.append(
            {
                "id": doc.id,
                "document": doc.short_title,
                "type": doc.type.replace("_", " "),
                "identifier": with_unverified_flag(record["identifier"], record["identifier_unverified"]),
                "date": dated(record),
                "status": with_unverified_flag(record["status_label"], record["status_unverified"]),
                "modes": ", ".join(m.replace("_", " ") for m in doc.modes),
                "facts": certainty_text(doc.certainty)
                + (f"; unverified: {', '.join(doc.unverified)}" if doc.unverified else ""),
                "address": record["address"],
                "official text": record["url"],
                "address not verified": record["unverified_url"],
                "summary": doc.summary,
            }
        )
    return pd.DataFrame(rows, columns=list(rows[0]) if rows else ["id", "document", "address", "official text"])


def corridors_frame(catalogue: Catalogue | None = None) -> pd.DataFrame:
    """The nine 2024 corridors as a table: countries and ports, with what is verified and what is not."""
    catalogue = catalogue or load_catalogue()

    def ports(corridor, level: str) -> str:
        return ", ".join(f"{p.name} ({p.locode})" for p in corridor.ports if p.verification == level)

    rows = [
        {
            "corridor": c.name,
            "coordinator": c.coordinator or "not verified",
            "verification": c.verification,
            "countries": ", ".join(c.countries) or "2024 alignment not verified",
            "countries (pre-2024, unverified)": ", ".join(c.countries_unverified),
            "ports (verified)": ports(c, "verified"),
            "ports (probable)": ports(c, "probable"),
            "notes": c.notes or "",
        }
        for c in catalogue.corridors
    ]
    return pd.DataFrame(rows)


def entry_ports_frame(ports: pd.DataFrame, catalogue: Catalogue | None = None) -> pd.DataFrame:
    """The entry ports of the public debate, one row per port of the "Debate entry ports" overlay.

    Each row: why the port is listed, its 2024 corridors (or "not established") and the documents
    that apply to it, those matched on the port itself with how sure the match is.
    """
    catalogue = catalogue or load_catalogue()
    rows = []
    for view in entry_ports(ports, catalogue):
        corridors = "; ".join(f"{pc.corridor.name} ({pc.status})" for pc in view.corridors) or NOT_ESTABLISHED
        on_feature = [link for link in view.documents if link.basis == "feature"]
        rows.append(
            {
                "port": view.entry.name,
                "UN/LOCODE": view.entry.locode,
                "country": view.entry.country,
                "listed because": ENTRY_PORT_ROLES[view.entry.role],
                "feature": view.feature_id or "not in the port data",
                "2024 corridors": corridors,
                "pre-2024 core corridors": ", ".join(view.entry.cnc_2013) or "none recorded",
                "documents matched on the port itself [how sure]": "; ".join(
                    f"{catalogue.document(link.document).short_title} [{link.certainty}]" for link in on_feature
                )
                or "none",
                "documents in all": len(view.documents),
                "note": view.entry.note or "",
            }
        )
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- map popups


_SAFE_URL = re.compile(r"^https?://[^\s\"'<>]+$")


def documents_payload(ids: Iterable[str]) -> dict:
    """`{id: {t: short title, u: URL or None, a: address in words, s: status, i: identifier}}` for popups.

    `u` is the official text, or an address on an official site that the reference did not verify;
    `a` says which ("official text", "official site, address not verified", "no official address").
    A fact the catalogue could not verify is labelled so, never shown bare.
    """
    table = documents_table()
    out = {}
    for doc_id in sorted(set(ids)):
        record = table.get(doc_id)
        if record is None:
            continue
        url = record["url"] or record["unverified_url"]
        out[doc_id] = {
            "t": record["short_title"],
            "u": url if isinstance(url, str) and _SAFE_URL.match(url) else None,
            "a": record["address"],
            "s": status_text(record),
            "i": with_unverified_flag(record["identifier"], record["identifier_unverified"]),
        }
    return out


@dataclass
class PopupDocuments:
    """The policy documents of features, as map popups and filters use them.

    `texts[layer]`: per feature "id~m~r|id~m~r..." (most relevant first, None when no document applies),
    where `m` indexes `table["matches"]` (how sure the match is, e.g. "applies: probable, matched on
    the feature") and `r` indexes `table["reasons"]` (why it applies); `table["documents"]` is
    `documents_payload` of every id used. `keys[layer]`: per feature the index of its document list in
    `sets` (the document ids), -1 when none applies, so a map can filter features by document.
    """

    texts: dict[str, pd.Series]
    keys: dict[str, pd.Series]
    sets: list[tuple[str, ...]]
    table: dict


def popup_documents(frames: Mapping[str, pd.DataFrame]) -> PopupDocuments:
    """The `PopupDocuments` of every feature of `frames` ({layer: frame}); work is done once per distinct
    link list, so it stays fast on whole layers."""
    catalogue = load_catalogue()
    matches: dict[str, int] = {}
    reasons: dict[str, int] = {}
    sets: dict[str, int] = {}
    doc_sets: list[tuple[str, ...]] = []
    ids: set[str] = set()

    def encode(link: Link) -> str:
        ids.add(link.document)
        match = matches.setdefault(applies_text(link.certainty, link.basis), len(matches))
        return f"{link.document}~{match}~{reasons.setdefault(link.reason, len(reasons))}"

    def key(links: tuple[Link, ...], text: str) -> int:
        if not links:
            return -1
        if text not in sets:
            sets[text] = len(doc_sets)
            doc_sets.append(tuple(link.document for link in links))
        return sets[text]

    texts, keys = {}, {}
    for layer, frame in frames.items():
        if frame.empty:
            continue
        patterns, inverse = link_patterns(frame, catalogue)
        encoded = ["|".join(map(encode, links)) or None for links in patterns]
        pattern_keys = np.array([key(links, text) for links, text in zip(patterns, encoded, strict=True)])
        texts[layer] = pd.Series(np.array(encoded, dtype=object)[inverse], index=frame.index, dtype="object")
        keys[layer] = pd.Series(pattern_keys[inverse], index=frame.index, dtype="int64")
    table = {"documents": documents_payload(ids), "matches": list(matches), "reasons": list(reasons)}
    return PopupDocuments(texts, keys, doc_sets, table)
