"""The Streamlit app under a real browser: rerun round trip of an unrelated widget, and memory per session.

Run from the repository root:

    .venv/bin/python benchmarks/bench_app.py [--sessions 4] [--changes 5]

Starts `streamlit run app.py` on 127.0.0.1 with an empty user store (tests/browser/offline.py's
`running_streamlit`) and drives it with Debian's Chromium (Playwright, offline router of the
browser tests: CDN assets from the local npm packages, tiles local, everything else aborted).

1. Interaction: in one session, with the Europe map (all layers) drawn, change a widget that does
   not touch the layers, `--changes` times each: the area box of the "Detailed OpenStreetMap data"
   panel (a fragment: only the panel reruns) and the port search with a query that matches nothing
   (the whole script reruns; the map comes from the cache). The figure is the browser-side time from
   sending the rerun request over the app's WebSocket (BackMsg `rerun_script`) to receiving
   `script_finished`, read from the protobuf frames. A marker set inside the map's iframe before the
   changes shows whether the map was rebuilt. The same changes in `baseline_app.py` (the two
   widgets alone) give the floor: Streamlit, the WebSocket and the browser on this machine.
2. Memory: resident set size (VmRSS) of the Streamlit server process before any session, with one
   session showing every layer, and after `--sessions` more sessions have drawn the same map.
"""

from __future__ import annotations

import argparse
import base64
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_export import machine
from playwright.sync_api import sync_playwright
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from geo import settings
from tests.browser.offline import CHROMIUM, CHROMIUM_ARGS, OfflineRouter, running_streamlit

VIEWPORT = {"width": 1400, "height": 950}
# Records every WebSocket frame (time, direction, bytes when small) once window.__wsRecord is set.
WEBSOCKET_RECORDER = """
(() => {
  const Native = window.WebSocket;
  window.__wsFrames = [];
  const keep = (direction, data) => {
    if (!window.__wsRecord) return;
    const t = performance.now();
    const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : ArrayBuffer.isView(data)
      ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : null;
    let b64 = null;
    if (bytes && bytes.length < 65536) {
      let text = "";
      for (let i = 0; i < bytes.length; i++) text += String.fromCharCode(bytes[i]);
      b64 = btoa(text);
    }
    window.__wsFrames.push([direction, t, b64]);
  };
  class Recording extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener("message", (event) => keep("in", event.data));
    }
    send(data) {
      keep("out", data);
      return super.send(data);
    }
  }
  window.WebSocket = Recording;
})();
"""
MAP_DRAWN_JS = "() => !!(window.corridorAtlas && window.corridorAtlas.counts().roads > 0)"


def rss_mb(pid: int) -> float:
    """Resident set size of process `pid`, in MB (from /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def streamlit_pid() -> int:
    """The `streamlit run` process this script started (our child)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            cmdline = (entry / "cmdline").read_bytes()
        except (OSError, IndexError, ValueError):
            continue
        if ppid == os.getpid() and b"streamlit" in cmdline:
            return int(entry.name)
    raise RuntimeError("the streamlit process was not found")


def map_frame(page, timeout_s: float = 180.0):
    """The st_folium iframe of `page` once its map has drawn the roads."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for frame in page.frames:
            try:
                if frame != page.main_frame and frame.evaluate(MAP_DRAWN_JS):
                    return frame
            except Exception:  # a frame detached or still loading: look again
                pass
        page.wait_for_timeout(200)
    raise RuntimeError("the map was not drawn in time")


def open_session(browser, url: str, with_map: bool = True):
    context = browser.new_context(viewport=VIEWPORT)
    OfflineRouter().install(context)
    context.add_init_script(WEBSOCKET_RECORDER)
    page = context.new_page()
    page.set_default_timeout(180_000)
    page.goto(url)
    if with_map:
        map_frame(page)
    else:
        page.locator(next(iter(WIDGETS.values()))[0]).wait_for()
    return context, page


def _message_type(direction: str, data: bytes) -> str | None:
    """The type of a Streamlit protobuf WebSocket message: a BackMsg going out, a ForwardMsg coming in."""
    message = BackMsg if direction == "out" else ForwardMsg
    return message.FromString(data).WhichOneof("type")


def rerun_round_trip_ms(page, selector: str, value: str) -> float:
    """Type `value` into the text box `selector`, press Enter; ms from the rerun request to script_finished."""
    box = page.locator(selector)
    page.evaluate("() => { window.__wsFrames = []; window.__wsRecord = true; }")
    box.fill(value)
    box.press("Enter")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        sent = finished = None
        for direction, t, b64 in page.evaluate("() => window.__wsFrames"):
            kind = _message_type(direction, base64.b64decode(b64)) if b64 is not None else None
            if sent is None and kind == "rerun_script":
                sent = t
            elif sent is not None and kind == "script_finished":
                finished = t
                break
        if finished is not None:
            page.evaluate("() => { window.__wsRecord = false; }")
            return finished - sent
        page.wait_for_timeout(50)
    raise RuntimeError(f"no script_finished after typing into {selector}")


def timed_changes(page, selector: str, values: list[str]) -> tuple[list[float], bool]:
    """Round trips of typing each of `values` into `selector`, and whether the map's iframe survived them."""
    for frame in page.frames[1:]:
        _evaluate(frame, "() => { window.__benchMarker = 'kept'; }")
    times = [rerun_round_trip_ms(page, selector, value) for value in values]
    page.wait_for_timeout(1000)
    kept = any(_evaluate(frame, "() => window.__benchMarker === 'kept'") for frame in page.frames[1:])
    return times, kept


def baseline_round_trips(browser, changes: int, work: Path) -> dict[str, list[float]]:
    """The same widget changes in benchmarks/baseline_app.py: the floor of a round trip on this machine."""
    script = Path(__file__).with_name("baseline_app.py")
    with running_streamlit(script, cwd=script.parent, env=dict(os.environ), log_path=work / "baseline.log") as url:
        context, page = open_session(browser, url, with_map=False)
        times = {
            label: [rerun_round_trip_ms(page, selector, pattern.format(i=i)) for i in range(changes)]
            for label, (selector, pattern) in WIDGETS.items()
        }
        context.unroute_all(behavior="ignoreErrors")
        context.close()
    return times


def _evaluate(frame, script: str):
    try:
        return frame.evaluate(script)
    except Exception:  # a detached frame
        return None


# Widgets that do not touch the layers: the OSM panel's area box (a fragment) and the port search
# with a query matching nothing (a full rerun of the script; the map comes from the cache).
WIDGETS = {
    "OSM panel area box (fragment rerun)": ('input[aria-label^="Area: W,S,E,N"]', "15.{i},47.9,16.0,48.4"),
    "port search, no match (full rerun, map cached)": ('input[aria-label="Port name or UN/LOCODE"]', "zzqx{i}"),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=4, help="extra sessions for the memory figure")
    parser.add_argument("--changes", type=int, default=5, help="widget changes timed")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-app-") as scratch:
        work = Path(scratch)
        env = {**os.environ, "CORRIDOR_ATLAS_STORE": str(work / "store"), "CORRIDOR_ATLAS_MODE": "local"}
        with (
            running_streamlit(
                settings.REPO_DIR / "app.py", cwd=settings.REPO_DIR, env=env, log_path=work / "log"
            ) as url,
            sync_playwright() as playwright,
        ):
            pid = streamlit_pid()
            idle = rss_mb(pid)
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            floor = baseline_round_trips(browser, args.changes, work)
            started = time.perf_counter()
            context, page = open_session(browser, url)
            first_map_s = time.perf_counter() - started
            time.sleep(2)
            one = rss_mb(pid)

            results = {
                label: timed_changes(page, selector, [pattern.format(i=i) for i in range(args.changes)])
                for label, (selector, pattern) in WIDGETS.items()
            }
            map_drawn_after = _evaluate(map_frame(page, timeout_s=30), "() => window.corridorAtlas.counts()")

            extra = [open_session(browser, url) for _ in range(args.sessions)]
            time.sleep(2)
            many = rss_mb(pid)
            for other in [context, *(c for c, _ in extra)]:
                other.unroute_all(behavior="ignoreErrors")  # requests still in flight must not fail the close
                other.close()
            browser.close()

        print(f"Machine: {machine()}")
        print()
        print("| measure | value |")
        print("|---|---:|")
        print(f"| first session: page open to map drawn (cold caches) | {first_map_s:.1f} s |")
        for label, (times, kept) in results.items():
            print(
                f"| rerun round trip: {label}, median of {len(times)} | {statistics.median(times):.0f} ms "
                f"({', '.join(f'{t:.0f}' for t in times)}) |"
            )
            print(f"| same change in the one-widget baseline app, median | {statistics.median(floor[label]):.0f} ms |")
            print(f"| map iframe kept across those reruns (not rebuilt) | {'yes' if kept else 'no'} |")
        print(f"| features drawn in the map after the reruns | {map_drawn_after} |")
        print(f"| server RSS, started, no session | {idle:.0f} MB |")
        print(f"| server RSS, one session, every layer drawn | {one:.0f} MB |")
        print(f"| server RSS, {1 + args.sessions} sessions | {many:.0f} MB |")
        print(f"| added per extra session | {(many - one) / args.sessions:.1f} MB |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
