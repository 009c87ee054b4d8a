"""Keeps the browser tests off the network.

Every request the browser makes goes through `OfflineRouter.handle`:
- 127.0.0.1 / localhost (the app under test, local file servers) goes through untouched;
- map tile hosts (OpenStreetMap, CARTO, ...) get a small local PNG;
- public CDN asset URLs (jsDelivr, unpkg, cdnjs, code.jquery.com) are answered from the npm
  packages installed by `npm ci` in `tests/browser/node_modules`, whatever version the URL asks for;
- anything else is aborted and recorded in `blocked`, so a test can assert nothing left the machine
  (a test that means to follow an outside link names it in `expected_blocked` first).

Also here: a local static file server and a context manager that runs `streamlit run` on a free port.
"""

from __future__ import annotations

import functools
import http.server
import io
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from PIL import Image, ImageDraw

from geo import snapshot

BROWSER_DIR = Path(__file__).resolve().parent
NODE_MODULES = BROWSER_DIR / "node_modules"
# Debian's Chromium, launched as `python -m geo render --png` launches it (everything that would phone home off).
CHROMIUM = snapshot.chromium_path()
CHROMIUM_ARGS = list(snapshot.CHROMIUM_ARGS)

LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
TILE_HOSTS = (
    "tile.openstreetmap.org",
    "tile.openstreetmap.fr",
    "basemaps.cartocdn.com",
    "tile.opentopomap.org",
    "server.arcgisonline.com",
    "tiles.stadiamaps.com",
)
# cdnjs library name -> (npm package, folder of the package that cdnjs publishes).
CDNJS_LIBRARIES = {"leaflet": ("leaflet", "dist"), "jquery": ("jquery", "dist")}
_NPM_SPEC = re.compile(r"^(?P<package>(?:@[^/@]+/)?[^/@]+)(?:@[^/]*)?/(?P<file>.+)$")
_JQUERY_FILE = re.compile(r"^/jquery-[0-9.]+(?P<min>\.min)?\.js$")


def make_tile_png(size: int = 256) -> bytes:
    """A plain sea-grey map tile with a faint border, so tiles are visible in screenshots."""
    image = Image.new("RGB", (size, size), (226, 232, 236))
    ImageDraw.Draw(image).rectangle((0, 0, size - 1, size - 1), outline=(205, 212, 218))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def is_tile_host(host: str) -> bool:
    return any(host == tile_host or host.endswith("." + tile_host) for tile_host in TILE_HOSTS)


def cdn_asset_path(url: str, node_modules: Path = NODE_MODULES) -> Path | None:
    """The local file in `node_modules` that answers a public CDN URL, or None if there is none.

    The version in the URL is ignored: the installed package answers for every version.
    """
    parts = urlsplit(url)
    host, path = parts.hostname or "", parts.path
    relative: str | None = None
    if host in ("cdn.jsdelivr.net", "fastly.jsdelivr.net") and path.startswith("/npm/"):
        relative = _npm_relative(path.removeprefix("/npm/"))
    elif host == "unpkg.com":
        relative = _npm_relative(path.lstrip("/"))
    elif host == "cdnjs.cloudflare.com" and path.startswith("/ajax/libs/"):
        # /ajax/libs/<library>/<version>/<file>
        pieces = path.removeprefix("/ajax/libs/").split("/", 2)
        if len(pieces) == 3 and pieces[0] in CDNJS_LIBRARIES:
            package, folder = CDNJS_LIBRARIES[pieces[0]]
            relative = f"{package}/{folder}/{pieces[2]}"
    elif host == "code.jquery.com" and (match := _JQUERY_FILE.match(path)):
        relative = f"jquery/dist/jquery{match['min'] or ''}.js"
    if relative is None:
        return None
    candidate = (node_modules / relative).resolve()
    if not candidate.is_relative_to(node_modules.resolve()) or not candidate.is_file():
        return None
    return candidate


def _npm_relative(spec: str) -> str | None:
    match = _NPM_SPEC.match(spec)
    return f"{match['package']}/{match['file']}" if match else None


@dataclass
class OfflineRouter:
    """A Playwright route handler that answers or aborts every request (see the module docstring)."""

    node_modules: Path = NODE_MODULES
    tile_png: bytes = field(default_factory=make_tile_png)
    blocked: list[str] = field(default_factory=list)
    from_cdn: list[str] = field(default_factory=list)
    tiles: list[str] = field(default_factory=list)
    # Outside URLs a test requests on purpose (e.g. by clicking an official link); still blocked.
    expected_blocked: set[str] = field(default_factory=set)

    def unexpected_blocked(self) -> list[str]:
        """The blocked URLs that no test named in `expected_blocked`."""
        return [url for url in self.blocked if url not in self.expected_blocked]

    def install(self, context) -> None:
        """Route every request of a Playwright BrowserContext (all its pages and frames) through us."""
        context.route("**/*", self.handle)

    def handle(self, route) -> None:
        url = route.request.url
        host = urlsplit(url).hostname or ""
        if host in LOCAL_HOSTS:
            route.continue_()
        elif is_tile_host(host):
            self.tiles.append(url)
            route.fulfill(status=200, content_type="image/png", body=self.tile_png)
        elif (local := cdn_asset_path(url, self.node_modules)) is not None:
            self.from_cdn.append(url)
            # Fonts and module scripts are fetched in CORS mode.
            route.fulfill(status=200, path=local, headers={"Access-Control-Allow-Origin": "*"})
        else:
            self.blocked.append(url)
            route.abort("blockedbyclient")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str, timeout_s: float = 2.0) -> bytes:
    # No proxy: the servers under test are on this machine.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(url, timeout=timeout_s) as response:
        return response.read()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args) -> None:  # keep test output clean
        pass


@contextmanager
def serve_directory(directory: Path) -> Iterator[str]:
    """Serve `directory` over HTTP on 127.0.0.1 in a thread; yields the base URL (no trailing slash)."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def running_streamlit(
    script: Path, *, cwd: Path, env: dict[str, str], log_path: Path, timeout_s: float = 120.0
) -> Iterator[str]:
    """Run `streamlit run script` on 127.0.0.1 and a free port; yields the base URL once healthy.

    The server's output goes to `log_path`; its tail is shown when the server fails to start.
    The process is stopped when the context exits.
    """
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(script),
        "--server.address",
        "127.0.0.1",
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
    ]
    base_url = f"http://127.0.0.1:{port}"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_until_healthy(base_url, process, log_path, timeout_s)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_healthy(base_url: str, process: subprocess.Popen, log_path: Path, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited with code {process.returncode}:\n{_tail(log_path)}")
        try:
            if _get(f"{base_url}/_stcore/health").strip() == b"ok":
                return
        except OSError:
            pass
        time.sleep(0.25)
    raise RuntimeError(f"streamlit was not healthy after {timeout_s:.0f} s:\n{_tail(log_path)}")


def _tail(path: Path, lines: int = 40) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
