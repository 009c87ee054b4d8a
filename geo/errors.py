"""Every error Corridor Atlas raises on purpose, under one base class.

`AtlasError` marks an error whose message is meant for the user: one plain sentence that names the
fix. The CLI prints it without a traceback (exit code 2) and the app shows it in a message box; any
other exception is a bug. Each class also keeps the built-in base its callers may catch
(`ValueError` for input, `FileNotFoundError` for a missing raw file, `PermissionError` for a refusal).
"""

from __future__ import annotations


class AtlasError(Exception):
    """Base class: an error with a message for the user that says what to do."""


class SettingsError(AtlasError, ValueError):
    """An environment variable holds a value Corridor Atlas cannot use; the message names the variable."""


class InputError(AtlasError, ValueError):
    """What the user asked for is not usable (a bbox, a country, a region, a file type, a feature id)."""


class UnknownCountryError(InputError):
    """A country name or code could not be resolved to an ISO 3166-1 alpha-2 code."""


class UnknownLayerError(InputError):
    """A layer name that no layer specification defines; the message lists the known layers."""


class UnknownNameError(InputError, KeyError):
    """A catalogue name (document id, country group, corridor) that does not exist; the message lists or points
    to the known ones."""

    __str__ = Exception.__str__  # KeyError's own would quote the message


class SearchError(InputError):
    """A search query cannot be used (empty, too long); the message says what to type."""


class SchemaError(AtlasError, ValueError):
    """A layer name is unknown, or a frame does not follow the common schema."""


class CatalogueError(AtlasError, ValueError):
    """The catalogue file is missing or malformed; the message names the entry and the field."""


class ExportError(AtlasError, ValueError):
    """An export cannot be made as asked; the message says what to change."""


class OutputError(AtlasError, ValueError):
    """A file cannot be written where the user asked; the message says why and what to do."""


class DatasetError(AtlasError, RuntimeError):
    """A dataset file is missing or unreadable; the message says how to fix it."""


class StoreError(AtlasError, RuntimeError):
    """The store cannot be reached, or cannot be written that way; the message says what to check."""


class AreaExistsError(OutputError):
    """A stored area of that name holds other data; `record` is its metadata record."""

    def __init__(self, message: str, record: dict):
        super().__init__(message)
        self.record = record


class MissingInputError(AtlasError, FileNotFoundError):
    """A raw input file of the embedded build is missing; the message names it."""


class FetchError(AtlasError, RuntimeError):
    """A request failed for good (after retries); the message says what the server answered."""


class DownloadInterrupted(FetchError):
    """A download stopped part-way; its `.part` file is kept and the next attempt resumes it."""


class OverpassError(AtlasError, RuntimeError):
    """The endpoint answered, but not with usable Overpass JSON (an error remark, HTML, truncated JSON)."""


class TilesError(AtlasError, RuntimeError):
    """The vector tiles cannot be used (missing, corrupt, or from an older build); the map falls back to
    drawing from the page and says so."""


class HostedModeError(AtlasError, PermissionError):
    """The action is disabled on the hosted dashboard (`settings.MODE == "hosted"`)."""


class RateLimitExceeded(AtlasError, RuntimeError):
    """A visitor has used up its allowance; `retry_after_s` says when to try again."""

    def __init__(self, retry_after_s: float):
        super().__init__(f"Too many requests: please wait {retry_after_s:.0f} s and try again.")
        self.retry_after_s = retry_after_s
