"""Time of loading the policy catalogue and linking documents to every feature of each layer.

Run from the repository root:

    .venv/bin/python benchmarks/bench_policies.py [--synthetic 300000]

Prints a Markdown table (step, features, wall and CPU seconds, distinct link sets) and the machine;
results are recorded in benchmarks/README.md. `--synthetic N` adds an OSM-like rail frame of N
features with JSON tags (the case where a rule reads OSM tags), built by repeating real rows.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np
import pandas as pd
from bench_export import machine

from geo import policies, store


def timed(step: str, features: int, run) -> tuple:
    wall, cpu = time.perf_counter(), time.process_time()
    result = run()
    return step, features, time.perf_counter() - wall, time.process_time() - cpu, result


def osm_like_rail(n: int) -> pd.DataFrame:
    """N rail features across Europe with OSM-style tags (about a third main lines)."""
    rail = store.read_embedded("rail")
    rows = rail.iloc[np.arange(n) % len(rail)].drop(columns="geometry").reset_index(drop=True)
    usage = np.array(["main", "branch", "industrial"])[np.arange(n) % 3]
    rows["id"] = [f"osm:way/{i}" for i in range(n)]
    rows["usage"] = pd.array(usage, dtype="string")
    rows["tags"] = [f'{{"railway": "rail", "usage": "{u}", "name": "line {i}"}}' for i, u in enumerate(usage)]
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--synthetic", type=int, default=300_000, help="rows of the OSM-like rail frame (0 = none)")
    args = parser.parse_args()

    results = []
    policies._load.cache_clear()
    results.append(timed("load and validate catalogue", 0, lambda: policies.load_catalogue()))
    catalogue = policies.load_catalogue()
    frames = {layer: store.read_embedded(layer) for layer in ("ports", "rail", "roads")}
    if args.synthetic:
        frames["rail (OSM-like, synthetic)"] = osm_like_rail(args.synthetic)
    for name, frame in frames.items():
        step = timed(f"documents_for: {name}", len(frame), lambda f=frame: policies.documents_for(f, catalogue))
        results.append((*step[:4], step[4].nunique()))
    rail = frames["rail"]
    results.append(
        timed(
            "features_for_document: etc-baltic-adriatic, rail",
            len(rail),
            lambda: policies.features_for_document("etc-baltic-adriatic", {"rail": rail}, catalogue=catalogue),
        )
    )

    print(f"Machine: {machine()}\n")
    print("| step | features | wall s | CPU s | distinct link sets |")
    print("|---|---:|---:|---:|---:|")
    for step, features, wall, cpu, extra in results:
        distinct = extra if isinstance(extra, int) else ""
        print(f"| {step} | {features:,} | {wall:.2f} | {cpu:.2f} | {distinct} |")


if __name__ == "__main__":
    main()
