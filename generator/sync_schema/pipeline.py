"""The stages wired together: source -> IR -> rendered files -> ruff -> (compare | write)."""

from __future__ import annotations

import dataclasses
import hashlib
import os
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sync_schema import __version__, fingerprint, forked, ir
from sync_schema.config import Overrides, Settings, load_settings
from sync_schema.errors import SyncSchemaError
from sync_schema.format import RUFF_CONFIG, TreeFormatter, ruff_version
from sync_schema.layout import FORKED_FILE, OPTIONAL_FILES, SCHEMA_JSON, template_sources
from sync_schema.model import jsonb
from sync_schema.model.plan import TreePlan, plan_tree
from sync_schema.snapshot import (
    Manifest,
    Snapshot,
    VersionInfo,
    next_version,
    snapshot_json,
)
from sync_schema.tree_store import scan_tree

if TYPE_CHECKING:
    from sync_schema.drift import Change


@dataclass(slots=True)
class Stats:
    """Time per stage and catalog queries, for `make bench` and `--verbose`."""

    stages: dict[str, float] = field(default_factory=dict)
    queries: int = 0
    query_seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)
    #: the migrations fingerprint of the database loaded (None: a live one, or flags in use)
    source: str | None = None
    #: which client read the catalog (source/read.py)
    reader: str = ""
    _inner: list[float] = field(default_factory=list)  # time of stages nested in open ones

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Time one stage; a stage inside another counts only once, as itself."""
        start = time.perf_counter()
        self._inner.append(0.0)
        try:
            yield
        finally:
            elapsed = time.perf_counter() - start
            inner = self._inner.pop()
            self.stages[name] = self.stages.get(name, 0.0) + elapsed - inner
            if self._inner:
                self._inner[-1] += elapsed


#: A module at least this big goes to ruff at once, to be formatted while the rest renders.
_FORMAT_BATCH_CHARS = 256 * 1024
#: Below this many columns a second process costs more than it saves.
_FORK_MIN_COLUMNS = 2000


def now() -> datetime:
    """The current time, or SOURCE_DATE_EPOCH when set (reproducible builds)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        return datetime.fromtimestamp(int(epoch), tz=UTC)
    return datetime.now(tz=UTC)


def load_database(
    settings: Settings, stats: Stats | None = None, *, migrations_limit: int | None = None
) -> ir.Database:
    """Introspect the live database, or an embedded one built from the migrations."""
    from sync_schema.source.catalog import QueryLog  # noqa: PLC0415
    from sync_schema.source.read import read_database  # noqa: PLC0415

    stats = stats if stats is not None else Stats()
    # Before the server reads the migrations: an edit made meanwhile then fails to match.
    plain = plain_source(settings)
    stats.source = fingerprint.compute(plain) if plain is not None else None
    log = QueryLog()
    with ExitStack() as stack:
        # A connection string, the Management API's query endpoint, or (None) the migrations.
        dsn = settings.query_endpoint or settings.db_url
        if dsn is None:
            # Only the embedded path needs it.
            from sync_schema.embedded.migrations import embedded_database  # noqa: PLC0415

            with stats.stage("embedded server"):
                dsn = stack.enter_context(
                    embedded_database(
                        settings.migrations,
                        limit=migrations_limit,
                        supabase_shim=settings.supabase_shim,
                    )
                )
        with stats.stage("introspect"):
            db = read_database(
                dsn,
                settings.schemas,
                statement_timeout_ms=settings.statement_timeout_ms,
                log=log,
            )
    stats.queries += log.count
    stats.query_seconds += log.seconds
    stats.reader = log.reader
    # Introspection builds the IR as its last step: report that apart from the catalog reads.
    stats.stages["introspect"] -= log.build_seconds
    stats.stages["build IR"] = stats.stages.get("build IR", 0.0) + log.build_seconds
    return db


def plain_source(settings: Settings) -> fingerprint.Plain | None:
    """The plain check's paths when `settings` are exactly a plain run's from migrations.

    Only then does schema.json record a fingerprint: `python -m sync_schema check` computes
    it from the same paths without resolving the settings (see fingerprint.py).
    """
    if settings.db_url is not None or settings.query_endpoint is not None:
        return None
    plain = fingerprint.Plain.here()
    if plain is None:
        return None
    try:
        if load_settings(Overrides()) != settings:
            return None
    except SyncSchemaError:
        return None
    if (plain.out, plain.migrations, plain.templates) != (
        settings.out,
        settings.migrations,
        settings.templates,
    ):
        return None
    return plain


def source_proves_current(settings: Settings) -> bool:
    """Whether the recorded fingerprint and hashes prove --out current, with no server."""
    plain = plain_source(settings)
    return plain is not None and fingerprint.proves_in_sync(plain)


def with_fresh_source(files: dict[str, str], stats: Stats) -> dict[str, str]:
    """The tree generate writes: schema.json's `source` line for the database just loaded.

    From migrations, their fingerprint; from a live database, the committed line only when
    the rest of schema.json is unchanged (the line still describes that same tree).
    """
    body, kept = fingerprint.split(files[SCHEMA_JSON])
    line = None
    if stats.source is not None:
        line = fingerprint.source_line(stats.source, body)
    elif kept is not None and fingerprint.recorded_body(kept) == fingerprint.body_digest(body):
        line = kept
    return {**files, SCHEMA_JSON: fingerprint.with_source(body, line)}


@dataclass(frozen=True, slots=True)
class Run:
    """One run's settings, database and committed snapshot, with the tree's plan made once."""

    settings: Settings
    previous: Snapshot | None
    #: the tree for the database: the committed lock kept, new objects placed after
    plan: TreePlan

    @classmethod
    def of(cls, settings: Settings, db: ir.Database, previous: Snapshot | None = None) -> Run:
        """Plan the tree for `db` once; every later stage of the run reads this plan."""
        lock = previous.names if previous is not None else None
        return cls(settings, previous, plan_tree(db, settings.options, lock))

    @property
    def db(self) -> ir.Database:
        """The database as introspected."""
        return self.plan.database

    def committed_plan(self) -> TreePlan | None:
        """The plan the committed tree was generated from (None without a schema.json)."""
        if self.previous is None:
            return None
        return plan_tree(self.previous.database, self.settings.options, self.previous.names)

    def committed_lock(self) -> dict[str, str]:
        """The committed tree's lock of names (decided again for a schema.json that kept none)."""
        if self.previous is None:
            return {}
        if self.previous.names is not None:
            return dict(self.previous.names)
        committed = self.committed_plan()
        return committed.lock if committed is not None else {}


def semantic_changes(run: Run) -> list[Change]:
    """The drift from the committed snapshot, class renames included (all new without one)."""
    from sync_schema.drift import SchemaSync  # noqa: PLC0415 - an in-sync check compares nothing

    if run.previous is None:
        return SchemaSync(None, run.db).compare_schemas()
    return SchemaSync(
        run.previous.database,
        run.db,
        local_names=run.committed_lock(),
        db_names=run.plan.lock,
    ).compare_schemas()


def inputs_fingerprint(settings: Settings) -> str:
    """sha256 of what decides the generated files besides the database."""
    options = {
        f.name: sorted(v) if isinstance(v, frozenset) else v
        for f in dataclasses.fields(settings.options)
        for v in [getattr(settings.options, f.name)]
        # Left out while off: turning a new option on must not change existing trees' hashes.
        # Nullability overrides are recorded under their own key, as before they were options.
        if not (f.name == "client" and v is False) and f.name != "nullability"
    }
    facts = {
        "generator": __version__,
        "ruff": ruff_version(),
        "ruff_config": RUFF_CONFIG,
        "datamodel-code-generator": jsonb.tool_version(),
        "options": {k: dict(v) if isinstance(v, Mapping) else v for k, v in options.items()},
        "nullability": dict(settings.options.nullability),
    }
    digest = hashlib.sha256(ir.dumps(facts).encode("utf-8"))
    left_out = {
        f"{rel}.jinja" for rel, wanted in OPTIONAL_FILES.items() if not wanted(settings.options)
    }
    for name, content in template_sources(settings.templates):
        # The template of a file left out (client.py while `client` is off) decides nothing.
        if name.partition(":")[2] in left_out:
            continue
        digest.update(f"\0{name}\0".encode())
        digest.update(hashlib.sha256(content).digest())
    return digest.hexdigest()


def tree_is_current(run: Run, stats: Stats | None = None) -> bool:
    """Whether --out is exactly what generate would write, decided without rendering.

    True only when the database hash and every other input (generator and ruff versions,
    options, nullability overrides, templates) equal what schema.json recorded, every
    file's sha256 matches its manifest, no file is missing or extra, and schema.json is
    what generate would write.
    Otherwise False, and the caller regenerates in full to find out what differs.
    """
    settings, previous = run.settings, run.previous
    if previous is None or previous.manifest is None:
        return False
    stats = stats if stats is not None else Stats()
    with stats.stage("hash"):
        parts = ir.json_parts(run.db)
        db_hash = ir.hash_parts(parts)
    manifest = previous.manifest
    if db_hash != previous.version.db_hash or manifest.inputs != inputs_fingerprint(settings):
        return False
    with stats.stage("verify files"):
        tree = scan_tree(settings.out)
        on_disk = tree.files
        if tree.others or set(on_disk) != {*manifest.files, SCHEMA_JSON}:
            return False
        if any(hashlib.sha256(on_disk[rel]).hexdigest() != d for rel, d in manifest.files.items()):
            return False
        version = next_version(previous.version, db_hash, now())
        expected = snapshot_json(parts, version, manifest, run.plan.lock)
        # The `source` line is a record of the inputs, not output: comparisons leave it out.
        committed = fingerprint.split(on_disk[SCHEMA_JSON].decode("utf-8", "replace"))[0]
        return committed == expected


def build_files(
    run: Run,
    stats: Stats | None = None,
    *,
    warn: Callable[[str], None] | None = None,
) -> dict[str, str]:
    """Render and format the whole tree the run planned."""
    settings, previous, plan, db = run.settings, run.previous, run.plan, run.db
    stats = stats if stats is not None else Stats()
    hashed: list[tuple[ir.JsonParts, VersionInfo]] = []

    def version() -> VersionInfo:
        # Hashed when schema_version.py renders, while ruff formats the big modules.
        if not hashed:
            with stats.stage("hash"):
                parts = ir.json_parts(db)
                db_hash = ir.hash_parts(parts)
                hashed.append(
                    (parts, next_version(previous.version if previous else None, db_hash, now()))
                )
        return hashed[0][1]

    seen: set[str] = set()

    def collect(message: str) -> None:
        # Each layer (TypedDict, Pydantic) maps the same column: say it once.
        if message in seen:
            return
        seen.add(message)
        stats.warnings.append(message)
        if warn is not None:
            warn(message)

    paths = plan.paths
    forked_paths = [p for p in paths if p.endswith(FORKED_FILE)]
    # On big schemas a forked child renders and formats the Pydantic models on the other core.
    child = None
    if forked.available() and sum(len(t.columns) for t in db.tables) >= _FORK_MIN_COLUMNS:
        child = forked.ForkedCall.start(
            lambda: _render_and_format(settings, plan, version, forked_paths, None)
        )
    try:
        formatted = _render_and_format(
            settings,
            plan,
            version,
            [p for p in paths if child is None or p not in forked_paths],
            stats,
            warn=collect,
        )["files"]
        if child is not None:
            with stats.stage("forked render"):
                result = child.result()
            if result is None:  # the child failed: do it here, to raise the real error
                result = _render_and_format(settings, plan, version, forked_paths, None)
            formatted.update(result["files"])
            for message in result["warnings"]:
                collect(message)
    finally:
        if child is not None:
            child.cancel()
    files = {path: formatted[path] for path in paths}
    version()
    parts, info = hashed[0]
    with stats.stage("hash"):
        manifest = Manifest.of(files, inputs_fingerprint(settings))
        text = snapshot_json(parts, info, manifest, plan.lock)
    # The committed `source` line, kept: comparisons ignore it; generate writes a fresh one
    # (with_fresh_source).
    files[SCHEMA_JSON] = fingerprint.with_source(text, previous.source if previous else None)
    return files


def _render_and_format(
    settings: Settings,
    plan: TreePlan,
    version: Callable[[], VersionInfo],
    paths: list[str],
    stats: Stats | None,
    *,
    warn: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Render `paths` and format them with ruff: {"files": {path: text}, "warnings": [...]}."""
    stats = stats if stats is not None else Stats()
    warnings: list[str] = []

    def collect(message: str) -> None:
        if warn is not None:
            warn(message)
        else:
            warnings.append(message)

    from sync_schema.render import render_files  # noqa: PLC0415 - an in-sync check renders nothing

    # Python renders the next modules while ruff formats the batch before (on the other core).
    # Stage "render" counts rendering only; "ruff" counts the waits for ruff.
    with TreeFormatter(fix_all=settings.templates is not None) as formatter:
        batch: dict[str, str] = {}
        rendered = render_files(
            plan, version, templates=settings.templates, warn=collect, paths=paths
        )
        while True:
            with stats.stage("render"):
                item = next(rendered, None)
            if item is None:
                break
            batch[item[0]] = item[1]
            if len(item[1]) >= _FORMAT_BATCH_CHARS:  # a big module: format it meanwhile
                with stats.stage("ruff"):  # waits for the previous batch, if still running
                    formatter.submit(batch)
                batch = {}
        with stats.stage("ruff"):
            formatter.submit(batch, last=True)
            formatted = formatter.result()
    return {"files": formatted, "warnings": warnings}
