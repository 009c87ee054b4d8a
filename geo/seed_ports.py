"""Seed ports: the "Debate entry ports" map overlay, drawn from the policy catalogue's `entry_ports`.

One list serves both the overlay and the app's entry-ports table (`policy_views.entry_ports_frame`):
the entry ports named in the public debate on military mobility, the main Turkish ports, and the
ports the reference looked up beside them for comparison (`datasets/policies.yaml`, `entry_ports`).
"""

from __future__ import annotations

import pandas as pd

from geo import policies

COLUMNS = ("locode", "name", "country", "reason")


def load_seed_ports(catalogue: policies.Catalogue | None = None) -> pd.DataFrame:
    """The entry ports in catalogue order: `locode`, `name`, `country` (ISO alpha-2) and `reason`.

    `reason` says in plain words why the port is listed and which 2024 corridors it is on; the map
    shows it in the port's popup. Raises policies.CatalogueError if the catalogue is malformed.
    """
    catalogue = catalogue or policies.load_catalogue()
    rows = [
        (entry.locode, entry.name, entry.country, policies.entry_port_reason(entry, catalogue))
        for entry in catalogue.entry_ports
    ]
    return pd.DataFrame(rows, columns=list(COLUMNS)).astype("string")
