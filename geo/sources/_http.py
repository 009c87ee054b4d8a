"""HTTP for live sources: polite POST/GET with retries, an on-disk response cache, resumable downloads.

- Retries with exponential backoff on 429/502/503/504, timeouts and dropped connections (also mid-body),
  honouring `Retry-After` (seconds or an HTTP date) up to `settings.HTTP_MAX_RETRY_WAIT_S`. Other HTTP
  errors fail at once with the server's reason. Each request has an overall deadline and a size cap
  (`settings.HTTP_DEADLINE_S`, `HTTP_MAX_BODY_MB`, `DOWNLOAD_MAX_MB`).
- The cache keeps one body per (method, url, payload) under `settings.cache_dir()/<namespace>/`, with a
  JSON record holding its SHA-256; a body that no longer matches is reported and refetched. Only
  responses the caller's `validate` accepts are cached, so an error page is never replayed.
- `download` streams a file to disk with a progress callback and resumes a partial `.part` file with
  an HTTP Range request.
"""

from __future__ import annotations

import email.utils
import hashlib
import json
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import requests

from geo import settings
from geo.errors import DownloadInterrupted, FetchError
from geo.sources import utc_timestamp
from geo.store import atomic_write, write_text_atomic

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 502, 503, 504})
# progress(done, total, message): `total` is None when unknown.
Progress = Callable[[int, int | None, str], None]


@dataclass
class Response:
    """A response body and where it came from."""

    content: bytes
    url: str
    retrieved_at: str  # ISO 8601 UTC time the body was fetched from the network
    from_cache: bool = False
    notes: list[str] = field(default_factory=list)  # e.g. a corrupt cache entry that was refetched
    parsed: object = None  # what `validate` returned for a fresh body (None when served from the cache)


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` header (delta-seconds or HTTP date), or None if absent/unparsable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def _session() -> requests.Session:
    session = requests.Session()
    session.headers["User-Agent"] = settings.user_agent()
    return session


# A connection that breaks while the body arrives (reset, truncated chunks) is as transient as one that fails
# before it: retried, then the caller falls back to its stored copy.
_TRANSIENT = (requests.Timeout, requests.ConnectionError, requests.exceptions.ChunkedEncodingError)


def _megabytes(size: float) -> str:
    return f"{size / 1e6:,.0f} MB" if size >= 1e7 else f"{size / 1e6:.2g} MB"


def _too_large(url: str, size: float, max_bytes: float, variable: str) -> FetchError:
    return FetchError(
        f"{urlsplit(url).hostname or url} sent {_megabytes(size)} or more, over the limit of {_megabytes(max_bytes)}; "
        f"ask for a smaller area, or raise the limit with {variable}"
    )


def _read_body(response: requests.Response, url: str, deadline: float, max_bytes: float) -> bytes:
    """The whole body of a streamed response, within the overall `deadline` (time.monotonic) and `max_bytes`."""
    length = response.headers.get("Content-Length", "")
    if length.isdigit() and int(length) > max_bytes:
        raise _too_large(url, int(length), max_bytes, "CORRIDOR_ATLAS_MAX_RESPONSE_MB")
    chunks, size = [], 0
    for chunk in response.iter_content(1 << 13):  # small pieces, so the deadline is checked often
        size += len(chunk)
        if size > max_bytes:
            raise _too_large(url, size, max_bytes, "CORRIDOR_ATLAS_MAX_RESPONSE_MB")
        if time.monotonic() > deadline:
            raise requests.Timeout("overall deadline passed while reading the body")
        chunks.append(chunk)
    return b"".join(chunks)


def deadline_after(seconds: float | None = None) -> float:
    """The time.monotonic() value `seconds` (default `settings.HTTP_DEADLINE_S`) from now."""
    return time.monotonic() + (settings.HTTP_DEADLINE_S if seconds is None else seconds)


def request_with_retries(
    method: str,
    url: str,
    *,
    data: dict | None = None,
    headers: dict | None = None,
    timeout_s: float = 60.0,
    retries: int | None = None,
    backoff_s: float | None = None,
    sleep: Callable[[float], None] = time.sleep,
    stream: bool = False,
    session: requests.Session | None = None,
    deadline: float | None = None,
) -> requests.Response:
    """Send one request, retrying transient failures; return the successful (2xx) response.

    Waits `backoff_s * 2**attempt` seconds between attempts, or the server's `Retry-After` when it
    says so (capped at `settings.HTTP_MAX_RETRY_WAIT_S`). Everything, retries and reading the body
    included, must end by `deadline` (a time.monotonic() value; default `settings.HTTP_DEADLINE_S`
    from now). Unless `stream`, the body is read here, at most `settings.HTTP_MAX_BODY_MB`, and a
    connection dropped mid-body is retried like one that failed at once. Raises FetchError with the
    last reason when all `retries + 1` attempts fail, when the deadline passes, for a body over the
    cap, or at once on a non-transient HTTP error (e.g. 400, 404).
    `retries` and `backoff_s` default to `settings.HTTP_RETRIES` and `settings.HTTP_BACKOFF_S` as they are now.
    """
    retries = settings.HTTP_RETRIES if retries is None else retries
    backoff_s = settings.HTTP_BACKOFF_S if backoff_s is None else backoff_s
    deadline = deadline_after() if deadline is None else deadline
    max_bytes = settings.HTTP_MAX_BODY_MB * 1e6
    session = session or _session()
    host = urlsplit(url).hostname or url
    last_reason = ""
    for attempt in range(retries + 1):
        wait = backoff_s * 2**attempt
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        try:
            response = session.request(
                method, url, data=data, headers=headers, timeout=min(timeout_s, remaining), stream=True
            )
            if response.status_code < 400:
                if not stream:
                    # What `response.content` would hold, read here under the size cap and the deadline.
                    response._content = _read_body(response, url, deadline, max_bytes)
                return response
        except _TRANSIENT as exc:
            log.info("%s %s: %r", method, url, exc)  # the details for the operator; the user gets plain words
            last_reason = plain_reason(exc, url, min(timeout_s, remaining))
            if time.monotonic() >= deadline:
                break
        else:
            reason = _error_reason(response)
            if response.status_code not in RETRY_STATUSES:
                raise FetchError(f"{url} answered HTTP {response.status_code}: {reason}")
            last_reason = f"{host} answered HTTP {response.status_code}: {reason}"
            server_wait = retry_after_seconds(response.headers.get("Retry-After"))
            if server_wait is not None:
                wait = server_wait
            response.close()
        if attempt < retries:
            wait = min(wait, settings.HTTP_MAX_RETRY_WAIT_S)
            if time.monotonic() + wait >= deadline:
                raise FetchError(f"{last_reason} ({PAST_DEADLINE})")
            sleep(wait)
    else:
        raise FetchError(f"{last_reason} (tried {retries + 1} times)")
    raise FetchError(f"{last_reason or f'{host} did not answer'} ({PAST_DEADLINE})")


PAST_DEADLINE = "no complete answer before the deadline; raise CORRIDOR_ATLAS_FETCH_DEADLINE_S for a slow server"


def plain_reason(exc: requests.RequestException, url: str, timeout_s: float) -> str:
    """A network failure in words a user can act on, without library internals."""
    host = urlsplit(url).hostname or url
    text = str(exc)
    if isinstance(exc, requests.Timeout):
        return f"{host} did not answer within {timeout_s:g} s"
    if "NameResolution" in text or "Name or service not known" in text or "nodename nor servname" in text:
        return f"the address {host} could not be looked up (no network connection?)"
    return f"could not connect to {host} (no network connection, or the server is down)"


def _error_reason(response: requests.Response) -> str:
    """A short, plain-text reason for an HTTP error (the body's first line, tags stripped)."""
    plain = " ".join(re.sub(r"<[^>]*>", " ", response.text[:20_000]).split())
    return (plain[:200] or response.reason or "no reason given").strip()


# --- cache -----------------------------------------------------------------------------------------


def cache_key(method: str, url: str, payload: str = "") -> str:
    """The cache key of a request: SHA-256 of method, URL and payload."""
    return hashlib.sha256(f"{method.upper()}\n{url}\n{payload}".encode()).hexdigest()


def _cache_paths(namespace: str, key: str, cache_dir: Path | None) -> tuple[Path, Path]:
    folder = Path(cache_dir or settings.cache_dir()) / namespace
    return folder / f"{key}.body", folder / f"{key}.json"


def read_cache(
    namespace: str, key: str, max_age_s: float | None, cache_dir: Path | None = None
) -> Response | str | None:
    """A cached Response, None when there is no fresh entry, or a note (str) when the entry is corrupt."""
    body_path, record_path = _cache_paths(namespace, key, cache_dir)
    if not record_path.exists():
        return None
    try:
        record = json.loads(record_path.read_text(encoding="utf-8"))
        content = body_path.read_bytes()
        expected = record["sha256"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return f"cache entry {key[:12]} is unreadable ({type(exc).__name__}); refetched"
    if hashlib.sha256(content).hexdigest() != expected:
        return f"cache entry {key[:12]} is corrupt (checksum mismatch); refetched"
    if max_age_s is not None and time.time() - float(record.get("stored_at", 0)) > max_age_s:
        return None
    return Response(content=content, url=record.get("url", ""), retrieved_at=record["retrieved_at"], from_cache=True)


def write_cache(namespace: str, key: str, response: Response, cache_dir: Path | None = None) -> None:
    """Store `response` under `key`: the body first, then its record, both atomically."""
    body_path, record_path = _cache_paths(namespace, key, cache_dir)
    atomic_write(body_path, lambda tmp: tmp.write_bytes(response.content))
    record = {
        "url": response.url,
        "retrieved_at": response.retrieved_at,
        "stored_at": time.time(),
        "sha256": hashlib.sha256(response.content).hexdigest(),
        "bytes": len(response.content),
    }
    write_text_atomic(record_path, json.dumps(record, indent=2))


def cached_post(
    url: str,
    data: dict,
    *,
    namespace: str,
    validate: Callable[[bytes], object] | None = None,
    max_age_s: float | None = None,
    cache_dir: Path | None = None,
    use_cache: bool = True,
    **request_options,
) -> Response:
    """POST form `data` to `url`, served from the cache when a fresh, intact entry exists.

    `validate(content)` must raise for a body that should not be cached (an error document); its
    exception propagates. What it returns is kept in `Response.parsed`, so the body is parsed once. `request_options` go to `request_with_retries` (timeout_s, retries,
    backoff_s, sleep).
    """
    key = cache_key("POST", url, json.dumps(data, sort_keys=True))
    notes: list[str] = []
    if use_cache:
        cached = read_cache(namespace, key, max_age_s, cache_dir)
        if isinstance(cached, Response):
            return cached
        if isinstance(cached, str):
            notes.append(cached)
    http = request_with_retries("POST", url, data=data, **request_options)
    response = Response(content=http.content, url=url, retrieved_at=utc_timestamp(), notes=notes)
    if validate is not None:
        response.parsed = validate(response.content)
    if use_cache:
        write_cache(namespace, key, response, cache_dir)
    return response


# --- downloads -------------------------------------------------------------------------------------


def download(
    url: str,
    destination: Path,
    *,
    progress: Progress | None = None,
    resumes: int = 3,
    chunk_bytes: int = 1 << 16,
    deadline_s: float | None = None,
    **request_options,
) -> Path:
    """Download `url` to `destination`, resuming a partial `<destination>.part` with HTTP Range requests.

    An interrupted transfer is resumed up to `resumes` times at once; after that DownloadInterrupted
    is raised and the `.part` file is kept, so the next call resumes again. The file appears at
    `destination` only when complete. If the server ignores Range (answers 200), it starts over.
    The whole call ends within `deadline_s` (default `settings.HTTP_DEADLINE_S`; past it, the `.part` is
    kept to resume) and a file over `settings.DOWNLOAD_MAX_MB` is refused (FetchError, nothing kept).
    Raises FetchError when the server refuses the download.
    """
    deadline = deadline_after(deadline_s)
    attempts = 0
    while True:
        try:
            return _download_once(url, Path(destination), progress, chunk_bytes, deadline, request_options)
        except DownloadInterrupted:
            attempts += 1
            if attempts > resumes or time.monotonic() >= deadline:
                raise


def _download_once(
    url: str, destination: Path, progress: Progress | None, chunk_bytes: int, deadline: float, options: dict
) -> Path:
    destination.parent.mkdir(parents=True, exist_ok=True)
    part = destination.with_name(destination.name + ".part")
    have = part.stat().st_size if part.exists() else 0
    headers = {"Range": f"bytes={have}-"} if have else None
    max_bytes = settings.DOWNLOAD_MAX_MB * 1e6
    try:
        response = request_with_retries("GET", url, headers=headers, stream=True, deadline=deadline, **options)
    except FetchError as exc:
        if have and "HTTP 416" in str(exc):  # nothing left to send: the part file is already complete
            part.replace(destination)
            return destination
        raise
    with response:
        if have and response.status_code != 206:
            have = 0  # the server sent the whole file
        total = _total_size(response, have)
        if total is not None and total > max_bytes:
            part.unlink(missing_ok=True)
            raise _too_large(url, total, max_bytes, "CORRIDOR_ATLAS_MAX_DOWNLOAD_MB")
        done = have
        try:
            with part.open("ab" if have else "wb") as out:
                for chunk in response.iter_content(chunk_bytes):
                    out.write(chunk)
                    done += len(chunk)
                    if done > max_bytes:
                        break
                    if progress:
                        progress(done, total, f"{destination.name}: {done / 1e6:.1f} MB")
                    if time.monotonic() > deadline:
                        raise requests.Timeout(PAST_DEADLINE)
        except (requests.RequestException, OSError) as exc:
            raise DownloadInterrupted(
                f"download of {url} interrupted at {done} bytes ({exc}); run again to resume"
            ) from exc
    if done > max_bytes:
        part.unlink(missing_ok=True)
        raise _too_large(url, done, max_bytes, "CORRIDOR_ATLAS_MAX_DOWNLOAD_MB")
    if total is not None and done != total:
        raise DownloadInterrupted(f"download of {url} incomplete: {done} of {total} bytes; run again to resume")
    part.replace(destination)
    return destination


def _total_size(response: requests.Response, offset: int) -> int | None:
    """The full file size in bytes, from Content-Range (206) or Content-Length (200)."""
    content_range = response.headers.get("Content-Range", "")
    if "/" in content_range and content_range.rsplit("/", 1)[1].isdigit():
        return int(content_range.rsplit("/", 1)[1])
    length = response.headers.get("Content-Length")
    return offset + int(length) if length and length.isdigit() else None
