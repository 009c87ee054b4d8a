#!/usr/bin/env python3
"""Screenshots of the app's first view for the README: docs/screenshot-desktop.png (1400x900) and
docs/screenshot-phone.png (390x844).

Runs the real app (`streamlit run app.py` on 127.0.0.1, empty temporary store) and headless Chromium
through the browser tests' offline harness: nothing leaves the machine, map tiles are local.
Usage: .venv/bin/python scripts/screenshots.py   (writes only those two files of this checkout)
"""

from __future__ import annotations

import io
import os
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from PIL import Image  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from tests.browser.leaflet_probe import map_frame  # noqa: E402
from tests.browser.offline import CHROMIUM, CHROMIUM_ARGS, OfflineRouter, running_streamlit  # noqa: E402

VIEWS = {"desktop": (1400, 900), "phone": (390, 844)}
PAINT_MS = 2500  # the tiles and canvases paint after the map is ready


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="corridor-atlas-shots-") as work:
        env = {**os.environ, "CORRIDOR_ATLAS_STORE": str(Path(work) / "store"), "CORRIDOR_ATLAS_MODE": "local"}
        log = Path(work) / "streamlit.log"
        with running_streamlit(REPO / "app.py", cwd=REPO, env=env, log_path=log) as url, sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            for name, (width, height) in VIEWS.items():
                context = browser.new_context(viewport={"width": width, "height": height})
                router = OfflineRouter()
                router.install(context)
                page = context.new_page()
                page.set_default_timeout(120_000)
                page.goto(url)
                map_frame(page)
                # The script has finished its run: no "Running ..." widget, the sidebar's widgets drawn.
                page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')")
                page.wait_for_timeout(PAINT_MS)
                if router.unexpected_blocked():
                    raise SystemExit(f"requests tried to leave the machine: {router.unexpected_blocked()}")
                # 256 colours keep the files small; the map's flat colours survive it.
                image = Image.open(io.BytesIO(page.screenshot(type="png"))).convert("RGB").quantize(256)
                out = REPO / "docs" / f"screenshot-{name}.png"
                image.save(out, optimize=True)
                print(f"wrote {out.relative_to(REPO)} ({out.stat().st_size / 1e3:.0f} kB)")
                context.close()
            browser.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
