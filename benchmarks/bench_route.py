"""Rail routing on the whole Europe graph: building the graph and routing, with four graph libraries.

Run from the repository root:

    .venv/bin/python benchmarks/bench_route.py [--repeat 20]

Builds the rail graph once with `geo.network.build_network` (reading the embedded rail layer,
splitting and snapping lines, components and gaps), then, for each library, in a fresh process:
builds that library's graph from the same edge arrays (cheapest edge per node pair, weight = km)
and routes the same node-to-node queries (the shortest path with its nodes, as `geo.route` needs
it). Memory is the growth of the process's resident set while building the graph (the library
already imported), which also counts C, C++ and Rust allocations. Also times `geo.route.plan` (snapping, path, stretches
and the whole explanation) on the same queries. Prints Markdown tables and the machine; results are
recorded in benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np
from bench_export import machine

QUERIES = (
    ("NLRTM", "Warsaw"),
    ("Genoa", "Munich"),
    ("Gdansk", "Lviv"),
    ("DEHAM", "Vienna"),
    ("GRPIR", "Budapest"),
    ("Lisbon", "Helsinki"),
)
LIBRARIES = ("scipy", "networkx", "igraph", "rustworkx")


def _graph_arrays() -> tuple[dict, list[tuple[int, int]], float]:
    """Edge arrays of the rail graph (cheapest edge per node pair), the query node pairs, and the build time."""
    from geo import network, route

    started = time.perf_counter()
    net = network.default_network()
    built = time.perf_counter() - started
    weight = net.edges["length_km"].to_numpy(dtype=float)
    _, best = net.matrix(np.ones(len(weight), dtype=bool), weight)
    pairs = np.array(list(best.keys()), dtype=np.int64)
    edges = np.array(list(best.values()), dtype=np.int64)
    arrays = {"n": len(net.nodes), "a": pairs[:, 0].tolist(), "b": pairs[:, 1].tolist(), "w": weight[edges].tolist()}
    queries = []
    for origin, destination in QUERIES:
        a, b = route.resolve(origin), route.resolve(destination)
        snap_a, snap_b = route.snap(net, a.lon, a.lat), route.snap(net, b.lon, b.lat)
        queries.append((int(net.u[snap_a.edge]), int(net.u[snap_b.edge])))
    return arrays, queries, built


def _rss_mb() -> float:
    """The process's current resident set, MB (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) / 1024


def _builder(library: str):
    """(build(n, a, b, w) -> graph, path(graph, s, t) -> nodes) of one library, imported now."""
    if library == "scipy":
        from scipy import sparse
        from scipy.sparse import csgraph

        def build(n, a, b, w):
            return sparse.csr_matrix((w + w, (a + b, b + a)), shape=(n, n))

        def path(graph, s: int, t: int) -> list[int]:
            _, predecessors = csgraph.dijkstra(graph, directed=False, indices=s, return_predecessors=True)
            nodes = [t]
            while predecessors[nodes[-1]] >= 0:
                nodes.append(int(predecessors[nodes[-1]]))
            return nodes[::-1]

    elif library == "networkx":
        import networkx as nx

        def build(n, a, b, w):
            graph = nx.Graph()
            graph.add_nodes_from(range(n))
            graph.add_weighted_edges_from(zip(a, b, w, strict=True))
            return graph

        def path(graph, s: int, t: int) -> list[int]:
            return nx.dijkstra_path(graph, s, t, weight="weight")

    elif library == "igraph":
        import igraph

        def build(n, a, b, w):
            graph = igraph.Graph(n=n, edges=list(zip(a, b, strict=True)), directed=False)
            graph.es["weight"] = w
            return graph

        def path(graph, s: int, t: int) -> list[int]:
            return graph.get_shortest_paths(s, to=t, weights="weight", output="vpath")[0]

    else:
        import rustworkx

        def build(n, a, b, w):
            graph = rustworkx.PyGraph()
            graph.add_nodes_from(range(n))
            graph.add_edges_from(list(zip(a, b, w, strict=True)))
            return graph

        def path(graph, s: int, t: int) -> list[int]:
            return list(rustworkx.dijkstra_shortest_paths(graph, s, target=t, weight_fn=float)[t])

    return build, path


def _run_library(library: str, arrays: dict, queries: list, repeat: int) -> dict:
    """Build and route with one library; runs in a fresh process (see `main`)."""
    build, path = _builder(library)
    before = _rss_mb()
    started = time.perf_counter()
    graph = build(arrays["n"], arrays["a"], arrays["b"], arrays["w"])
    build_s = time.perf_counter() - started
    memory_mb = _rss_mb() - before
    times, lengths = [], []
    for s, t in queries:
        runs = []
        for _ in range(repeat):
            started = time.perf_counter()
            nodes = path(graph, s, t)
            runs.append(time.perf_counter() - started)
        times.append(statistics.median(runs))
        lengths.append(len(nodes))
    return {"library": library, "build_s": build_s, "memory_mb": memory_mb, "route_s": times, "path_nodes": lengths}


def _plan_times(repeat: int) -> list[tuple[str, float, float]]:
    """(query, median seconds of geo.route.plan, km) per query, after one warm-up run."""
    from geo import route

    out = []
    for origin, destination in QUERIES:
        a, b = route.resolve(origin), route.resolve(destination)
        found = route.plan(a, b)
        runs = []
        for _ in range(max(3, repeat // 4)):
            started = time.perf_counter()
            route.plan(a, b)
            runs.append(time.perf_counter() - started)
        out.append((f"{origin} to {destination}", statistics.median(runs), found.explanation["length_km"]))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20, help="runs per query (the median is reported)")
    parser.add_argument("--library", help=argparse.SUPPRESS)  # internal: run one library in this process
    parser.add_argument("--input", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.library:
        data = json.loads(Path(args.input).read_text())
        print(json.dumps(_run_library(args.library, data["arrays"], data["queries"], args.repeat)))
        return
    arrays, queries, built = _graph_arrays()
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "graph.json"
        source.write_text(json.dumps({"arrays": arrays, "queries": queries}))
        results = []
        for library in LIBRARIES:
            output = subprocess.run(
                [sys.executable, __file__, "--library", library, "--input", str(source), "--repeat", str(args.repeat)],
                check=True,
                capture_output=True,
                text=True,
            )
            results.append(json.loads(output.stdout))
    print(machine())
    print()
    print(f"Rail graph: {arrays['n']:,} nodes, {len(arrays['a']):,} node pairs; geo.network build {built:.2f} s")
    print()
    header = " | ".join(f"{o} to {d} (ms)" for o, d in QUERIES)
    print(f"| library | build (s) | memory (MB) | {header} | nodes per path |")
    print("|---|---:|---:|" + "---:|" * len(QUERIES) + "---|")
    for result in results:
        times = " | ".join(f"{1000 * t:.1f}" for t in result["route_s"])
        print(
            f"| {result['library']} | {result['build_s']:.3f} | {result['memory_mb']:.1f} | {times} | "
            f"{', '.join(map(str, result['path_nodes']))} |"
        )
    print()
    print("| geo.route.plan (snap, path, stretches, explanation) | median s | km |")
    print("|---|---:|---:|")
    for query, seconds, km in _plan_times(args.repeat):
        print(f"| {query} | {seconds:.3f} | {km:,.1f} |")


if __name__ == "__main__":
    main()
