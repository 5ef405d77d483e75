"""schema.json, read: what `generate` recorded, for the CLI and for the app's startup guard.

Standard library and the IR only: the guard imports this in an app's production image, where
the generator's dependencies (jinja2, ruff, typer, ...) are not installed.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from sync_schema import __version__, fingerprint, ir
from sync_schema.errors import SyncSchemaError

SCHEMA_JSON = "schema.json"


@dataclass(frozen=True, slots=True)
class VersionInfo:
    """What schema_version.py records."""

    schema_version: int
    last_sync: str
    db_hash: str
    generator_version: str = __version__


@dataclass(frozen=True, slots=True)
class Manifest:
    """What schema.json records about the generated files, so `check` can skip regenerating."""

    #: sha256 of every input besides the database: generator, ruff, options, templates
    inputs: str
    #: relative path -> sha256 of the file's bytes, for every file but schema.json
    files: Mapping[str, str]

    @classmethod
    def of(cls, files: Mapping[str, str], inputs: str) -> Manifest:
        """The manifest of a finished tree."""
        return cls(
            inputs=inputs,
            files={
                rel: hashlib.sha256(text.encode("utf-8")).hexdigest()
                for rel, text in sorted(files.items())
                if rel != SCHEMA_JSON
            },
        )


# snapshot_json writes each of these on a line of its own (`db_hash` in the head, `schemas`
# among the database's keys, before its big lists of objects).
_HEAD_DB_HASH = re.compile(r'^"db_hash": ("[0-9a-f]{64}"),$', re.MULTILINE)
_HEAD_SCHEMAS = re.compile(r'^"schemas": (\[.*\]),?$', re.MULTILINE)


def read_snapshot_head(text: str) -> tuple[str, tuple[str, ...]] | None:
    """DB_HASH and schemas of schema.json without decoding the rest; None if not found."""
    db_hash, schemas = _HEAD_DB_HASH.search(text), _HEAD_SCHEMAS.search(text)
    if db_hash is None or schemas is None:
        return None
    try:
        values = json.loads(db_hash[1]), json.loads(schemas[1])
    except ValueError:
        return None
    if not isinstance(values[1], list) or not all(isinstance(v, str) for v in values[1]):
        return None
    return values[0], tuple(values[1])


class SnapshotParts(NamedTuple):
    """What schema.json holds, parsed: the IR stays plain data until someone decodes it."""

    version: VersionInfo
    data: dict[str, Any]
    manifest: Manifest | None
    #: the lock of names; None when written by an sync-schema that kept none
    names: dict[str, str] | None


def read_snapshot(text: str) -> SnapshotParts:
    """Parse schema.json: version facts, the IR's plain data, the manifest, the lock of names."""
    document = json.loads(text)
    version = VersionInfo(
        schema_version=int(document["schema_version"]),
        last_sync=str(document["last_sync"]),
        db_hash=str(document["db_hash"]),
        generator_version=str(document["generator_version"]),
    )
    data = document["database"]
    if not isinstance(data, dict):
        raise ValueError("'database' is not an object")
    files, inputs = document.get("files"), document.get("inputs")
    manifest = (
        Manifest(inputs=inputs, files=files)
        if isinstance(files, dict) and isinstance(inputs, str)
        else None  # written by an older sync-schema: check regenerates in full
    )
    names = document.get("names")
    if names is not None and not (
        isinstance(names, dict)
        and all(isinstance(k, str) and isinstance(v, str) for k, v in names.items())
    ):
        raise ValueError("'names' is not an object of strings")
    return SnapshotParts(version, data, manifest, names)


class Snapshot:
    """The committed tree's schema.json: version facts, manifest, and its IR decoded on use."""

    __slots__ = ("_data", "_database", "manifest", "names", "source", "version")

    def __init__(
        self,
        version: VersionInfo,
        database: ir.Database | dict[str, Any],
        manifest: Manifest | None = None,
        names: Mapping[str, str] | None = None,
    ) -> None:
        self.version = version
        self.manifest = manifest
        #: the lock of names the committed tree was generated with (None: older schema.json)
        self.names = names
        self._database = database if isinstance(database, ir.Database) else None
        self._data = database if isinstance(database, dict) else None
        #: schema.json's `source` line as written (None: none), see fingerprint.py
        self.source: str | None = None

    @property
    def schemas(self) -> tuple[str, ...]:
        """The schemas the snapshot covers, read without decoding the whole IR."""
        if self._database is not None:
            return self._database.schemas
        assert self._data is not None
        return tuple(self._data.get("schemas", ("public",)))

    @property
    def database(self) -> ir.Database:
        """The committed IR (decoding it costs time on big schemas, so only drift pays it)."""
        if self._database is None:
            assert self._data is not None
            try:
                self._database = ir.from_dict(self._data)
            except (ValueError, TypeError, KeyError) as exc:
                raise SyncSchemaError(
                    f"cannot decode the committed schema.json: {exc}",
                    hint="restore it from git, or delete it to start a new history",
                ) from None
        return self._database


def parse_snapshot(text: str) -> Snapshot:
    """A Snapshot of schema.json's text; ValueError, KeyError or TypeError when malformed."""
    version, data, manifest, names = read_snapshot(text)
    snapshot = Snapshot(version, data, manifest, names)
    snapshot.source = fingerprint.split(text)[1]
    return snapshot
