"""Load on the hosted dashboard: N concurrent headless Chromium sessions open it and change a filter.

Run from the repository root:

    .venv/bin/python benchmarks/bench_load.py [--sessions 10] [--store DIR|s3://...]

Starts `streamlit run app.py` in hosted mode on 127.0.0.1 (the given store, default an empty
temporary folder), warms it up with one session (the layers load once per process), then opens N
sessions at once, each in its own browser context of Debian's Chromium (Playwright's async driver,
never `playwright install`) with its own X-Forwarded-For address (the app trusts 127.0.0.1 as a
proxy), so each is its own visitor for the rate limit, as real visitors would be. Each session:

- time to map: from navigation to the map's data layers drawn in its component frame;
- filter: picks "Poland" in the sidebar's country filter; time from the pick to the new map drawn.

Server figures come from /proc: CPU seconds of the streamlit process during the N sessions, its
resident memory after the warm-up and with all N sessions open (per extra session = the difference / N).
A session errs if it raises, the page logs an uncaught error, or the app shows an exception or an
error box. Every request leaving the machine is blocked, as in the browser tests.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_export import machine
from playwright.async_api import async_playwright

from geo import settings
from tests.browser.offline import CHROMIUM, CHROMIUM_ARGS, LOCAL_HOSTS, running_streamlit

MAP_READY_JS = "() => !!(window.map && window.corridorAtlas && window.corridorAtlas.map)"
COUNTS_JS = "() => window.corridorAtlas.counts()"
TIMEOUT_S = 300.0
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def server_pid(port: int) -> int:
    """The pid of the `streamlit run` process serving `port` (read from /proc, no extra package)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"streamlit" in b" ".join(command) and str(port).encode() in command:
            return int(entry.name)
    raise RuntimeError(f"no streamlit process found for port {port}")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime + stime


def browser_cpu_seconds() -> float:
    """CPU seconds of every Chromium process now running (the sessions share the server's 2 cores here)."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and b"chromium" in (entry / "cmdline").read_bytes():
                total += cpu_seconds(int(entry.name))
        except (OSError, IndexError, ValueError):
            continue
    return total


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


async def map_frame(page, previous=None):
    """The component frame whose map has drawn its layers (another than `previous`)."""
    deadline = time.monotonic() + TIMEOUT_S
    while time.monotonic() < deadline:
        for frame in page.frames:
            if frame is page.main_frame or frame is previous:
                continue
            try:
                if await frame.evaluate(MAP_READY_JS):
                    return frame
            except Exception:  # the frame navigated or detached while we asked
                continue
        await asyncio.sleep(0.1)
    raise TimeoutError("no map within the timeout")


async def session(browser, url: str, number: int, router: Offline) -> dict:
    result = {"session": number, "errors": []}
    context = await browser.new_context(
        viewport={"width": 1400, "height": 950}, extra_http_headers={"X-Forwarded-For": f"198.51.100.{number + 10}"}
    )
    await context.route("**/*", router.handle)
    page = await context.new_page()
    page.on("pageerror", lambda error: result["errors"].append(f"page error: {error}"))
    try:
        started = time.monotonic()
        await page.goto(url)
        frame = await map_frame(page)
        result["map_s"] = time.monotonic() - started
        europe = (await frame.evaluate(COUNTS_JS))["ports"]
        country_filter = page.locator('[data-testid="stSidebar"] [data-testid="stMultiSelect"]').filter(
            has_text="Filter by country"
        )
        await country_filter.locator("input").click()
        await page.keyboard.type("Poland")
        started = time.monotonic()
        await page.keyboard.press("Enter")
        await page.keyboard.press("Escape")
        while True:
            frame = await map_frame(page, previous=frame)
            ports = (await frame.evaluate(COUNTS_JS))["ports"]
            if 0 < ports < europe:
                break
            if time.monotonic() - started > TIMEOUT_S:
                raise TimeoutError("the filtered map never came")
        result["filter_s"] = time.monotonic() - started
        shown = await page.locator('[data-testid="stException"], [data-testid="stAlertContentError"]').count()
        if shown:
            result["errors"].append(f"{shown} exception or error boxes on the page")
        if "limits how much one visitor" in await page.locator('[data-testid="stApp"]').inner_text():
            result["errors"].append("rate-limited")
    except Exception as exc:  # a benchmark records every failure instead of stopping at the first
        result["errors"].append(f"{type(exc).__name__}: {exc}")
    result["context"] = context
    return result


class Offline:
    """Async route handler: 127.0.0.1 passes, everything else is aborted and recorded (the page needs nothing
    else: Leaflet is served by the app, the default basemap is drawn from the embedded country outlines)."""

    def __init__(self) -> None:
        self.blocked: list[str] = []

    async def handle(self, route) -> None:
        if (urlsplit(route.request.url).hostname or "") in LOCAL_HOSTS:
            await route.continue_()
        else:
            self.blocked.append(route.request.url)
            await route.abort("blockedbyclient")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))]


async def run(sessions: int, store_dir: str) -> None:
    env = {
        **os.environ,
        "CORRIDOR_ATLAS_MODE": "hosted",
        "CORRIDOR_ATLAS_STORE": store_dir,
        "CORRIDOR_ATLAS_TRUSTED_PROXIES": "127.0.0.1",
        "FORWARDED_ALLOW_IPS": "",
    }
    with tempfile.TemporaryDirectory() as work:
        log = Path(work) / "streamlit.log"
        with running_streamlit(settings.REPO_DIR / "app.py", cwd=settings.REPO_DIR, env=env, log_path=log) as url:
            pid = server_pid(int(url.rsplit(":", 1)[1]))
            router = Offline()
            async with async_playwright() as playwright:
                browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
                warm = await session(browser, url, 0, router)
                await warm["context"].close()
                if warm["errors"]:
                    raise RuntimeError(f"the warm-up session failed: {warm['errors']}")
                rss_warm, cpu_before, wall_before = rss_mb(pid), cpu_seconds(pid), time.monotonic()
                browser_before = browser_cpu_seconds()
                results = await asyncio.gather(*(session(browser, url, n, router) for n in range(1, sessions + 1)))
                cpu, wall = cpu_seconds(pid) - cpu_before, time.monotonic() - wall_before
                browser_cpu = browser_cpu_seconds() - browser_before
                rss_open = rss_mb(pid)
                for result in results:
                    await result["context"].close()
                await browser.close()
    failed = [r for r in results if r["errors"]]
    maps = [r["map_s"] for r in results if "map_s" in r]
    filters = [r["filter_s"] for r in results if "filter_s" in r]
    print(machine())
    print(f"sessions: {sessions} at once (+1 warm-up), store: {store_dir}")
    print("| measure | p50 | p95 | max |")
    print("|---|---:|---:|---:|")
    for label, values in (("time to map, s", maps), ("filter to new map, s", filters)):
        if values:
            print(f"| {label} | {statistics.median(values):.1f} | {percentile(values, 0.95):.1f} | {max(values):.1f} |")
    print(f"server CPU: {cpu:.1f} s in {wall:.1f} s wall ({cpu / wall:.2f} cores busy on average)")
    print(f"browser CPU (all Chromium processes, same machine): {browser_cpu:.1f} s ({browser_cpu / wall:.2f} cores)")
    print(
        f"server memory: {rss_warm:.0f} MB after warm-up, {rss_open:.0f} MB with {sessions} sessions open, "
        f"{(rss_open - rss_warm) / sessions:.1f} MB per extra session"
    )
    print(f"sessions with errors: {len(failed)}")
    for result in failed:
        print(f"  session {result['session']}: {result['errors']}")
    print(f"requests blocked (left the machine): {len(router.blocked)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sessions", type=int, default=10)
    parser.add_argument("--store", help="store folder or s3:// URL (default: an empty temporary folder)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as empty:
        asyncio.run(run(args.sessions, args.store or str(Path(empty) / "store")))


if __name__ == "__main__":
    main()
