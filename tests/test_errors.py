"""geo.errors: one base class for every error meant for the user, caught in one place by the CLI."""

from __future__ import annotations

import inspect

import pytest

from geo import cli, countries, errors, export, policies, ratelimit, schema, search, store
from geo.sources import MissingInputError, _http, overpass

DOMAIN_ERRORS = [
    cls
    for _, cls in inspect.getmembers(errors, inspect.isclass)
    if issubclass(cls, Exception) and cls is not errors.AtlasError
]
# The built-in base each error keeps, so callers that catch it still do.
BUILT_IN_BASES = {
    errors.InputError: ValueError,
    errors.UnknownCountryError: ValueError,
    errors.UnknownLayerError: ValueError,
    errors.UnknownNameError: KeyError,
    errors.SearchError: ValueError,
    errors.SettingsError: ValueError,
    errors.SchemaError: ValueError,
    errors.CatalogueError: ValueError,
    errors.ExportError: ValueError,
    errors.OutputError: ValueError,
    errors.DatasetError: RuntimeError,
    errors.StoreError: RuntimeError,
    errors.AreaExistsError: ValueError,
    errors.MissingInputError: FileNotFoundError,
    errors.FetchError: RuntimeError,
    errors.DownloadInterrupted: RuntimeError,
    errors.OverpassError: RuntimeError,
    errors.HostedModeError: PermissionError,
    errors.TilesError: RuntimeError,
    errors.RateLimitExceeded: RuntimeError,
}


def test_every_domain_error_has_the_one_base_and_its_built_in_base():
    assert set(DOMAIN_ERRORS) == set(BUILT_IN_BASES)
    for cls, base in BUILT_IN_BASES.items():
        assert issubclass(cls, errors.AtlasError) and issubclass(cls, base), cls
    assert issubclass(errors.UnknownCountryError, errors.InputError)
    assert issubclass(errors.DownloadInterrupted, errors.FetchError)


def test_each_error_is_defined_once_where_the_modules_raise_it():
    assert store.DatasetError is errors.DatasetError and store.OutputError is errors.OutputError
    assert schema.SchemaError is errors.SchemaError and export.ExportError is errors.ExportError
    assert policies.CatalogueError is errors.CatalogueError and search.SearchError is errors.SearchError
    assert countries.UnknownCountryError is errors.UnknownCountryError
    assert ratelimit.RateLimitExceeded is errors.RateLimitExceeded
    assert overpass.OverpassError is errors.OverpassError and MissingInputError is errors.MissingInputError
    assert _http.FetchError is errors.FetchError and _http.DownloadInterrupted is errors.DownloadInterrupted


def test_a_rate_limit_says_when_to_try_again():
    refused = errors.RateLimitExceeded(12.4)
    assert str(refused) == "Too many requests: please wait 12 s and try again." and refused.retry_after_s == 12.4


def _raise(exc: BaseException):
    def handler(args) -> int:
        raise exc

    return handler


@pytest.mark.parametrize(
    "exc",
    [
        errors.DatasetError(
            "datasets/rail.parquet is missing. Rebuild the embedded data with `python -m geo build-default`."
        ),
        errors.FetchError("download.geofabrik.de answered HTTP 503: busy (tried 5 times)"),
        errors.HostedModeError("fetching live OpenStreetMap data is disabled on the hosted dashboard"),
        errors.MissingInputError("raw input 'x.parquet' not found; point --data-dir at the shared open data folder"),
        PermissionError(13, "Permission denied"),
    ],
    ids=lambda exc: type(exc).__name__,
)
def test_the_cli_prints_any_atlas_or_os_error_as_one_line(monkeypatch, capsys, exc):
    monkeypatch.setattr(cli, "_cmd_search", _raise(exc))
    assert cli.main(["search", "Gdansk"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err == f"error: {exc}\n"


def test_the_cli_does_not_hide_a_bug(monkeypatch):
    """A plain ValueError is not an error meant for the user: it is not swallowed."""
    monkeypatch.setattr(cli, "_cmd_search", _raise(ValueError("bug")))
    with pytest.raises(ValueError, match="bug"):
        cli.main(["search", "Gdansk"])
