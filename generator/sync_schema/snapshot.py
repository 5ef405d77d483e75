"""schema.json, read: what `generate` recorded, for the CLI and for the app's startup guard.

Standard library and the IR only: the guard imports this in an app's production image, where
the generator's dependencies (jinja2, ruff, typer, ...) are not installed.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple

from sync_schema import __version__, fingerprint, ir
from sync_schema.errors import SyncSchemaError
from sync_schema.layout import GENERATED_MARKER, SCHEMA_JSON


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


# --- written by generate ----------------------------------------------------------------------


def next_version(previous: VersionInfo | None, db_hash: str, now: datetime) -> VersionInfo:
    """Keep the previous version while the hash is unchanged; otherwise bump it and stamp now."""
    if previous is not None and previous.db_hash == db_hash:
        return VersionInfo(previous.schema_version, previous.last_sync, db_hash)
    number = previous.schema_version + 1 if previous is not None else 1
    stamp = now.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    return VersionInfo(number, stamp, db_hash)


def snapshot_json(
    parts: ir.JsonParts, version: VersionInfo, manifest: Manifest, lock: Mapping[str, str]
) -> str:
    """schema.json: version facts, file hashes, the lock of names, then the canonical IR.

    `parts` is `ir.json_parts` of the IR. One line per file, name, table, enum or type keeps
    diffs reviewable; each object was encoded once, by the C JSON encoder, for DB_HASH too.
    `lock` (`TreePlan.lock`) is what the next generation reads to keep every name.
    """
    head = {
        "$comment": f"{GENERATED_MARKER}. Do not edit: run `sync-schema generate` to regenerate.",
        "inputs": manifest.inputs,
        **asdict(version),
    }
    lines = ["{"]
    lines += [f"{ir.dumps(key)}: {ir.dumps(value)}," for key, value in sorted(head.items())]
    lines.append('"files": {')
    lines += [
        f"{ir.dumps(rel)}: {ir.dumps(digest)}{',' if index < len(manifest.files) - 1 else ''}"
        for index, (rel, digest) in enumerate(sorted(manifest.files.items()))
    ]
    lines.append("},")
    lines.append('"names": {')
    lines += [
        f"{ir.dumps(key)}: {ir.dumps(base)}{',' if index < len(lock) - 1 else ''}"
        for index, (key, base) in enumerate(sorted(lock.items()))
    ]
    lines.append("},")
    lines.append('"database": {')
    keys = list(parts)
    for index, key in enumerate(keys):
        value = parts[key]
        comma = "," if index < len(keys) - 1 else ""
        if isinstance(value, list) and value and value[0].startswith("{"):
            lines.append(f"{ir.dumps(key)}: [")
            lines += [f"{item}," for item in value[:-1]]
            lines += [value[-1], f"]{comma}"]
        elif isinstance(value, list):
            lines.append(f"{ir.dumps(key)}: [{','.join(value)}]{comma}")
        else:
            lines.append(f"{ir.dumps(key)}: {value}{comma}")
    lines += ["}", "}"]
    return "\n".join(lines) + "\n"
