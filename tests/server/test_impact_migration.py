"""The impact fixtures against what a real migration produces."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from sync_schema.drift import SchemaSync
from tests.unit.test_impact import (
    EXPECTED_APP_HITS,
    FUTURE_CHANGES,
    FUTURE_DB,
    FUTURE_MIGRATION,
    OLD_DB,
    ROOT,
    _app_hits,
    names_of,
)


@pytest.mark.postgres
def test_the_hand_built_changes_are_what_the_real_migration_produces(
    fresh_db: str, tmp_path: Path
) -> None:
    from sync_schema.embedded.migrations import apply_migrations
    from sync_schema.source import introspect

    migrations = tmp_path / "migrations"
    shutil.copytree(ROOT / "supabase" / "migrations", migrations)
    (migrations / "20990101000000_no_pause_no_billing_email.sql").write_text(
        FUTURE_MIGRATION, encoding="utf-8"
    )
    apply_migrations(fresh_db, migrations)
    real_db = introspect.introspect(fresh_db, ("public",))
    real_changes = SchemaSync(OLD_DB, real_db).compare_schemas()
    assert real_changes == list(FUTURE_CHANGES)
    assert names_of(real_db) == names_of(FUTURE_DB)
    assert _app_hits(real_changes, real_db) == EXPECTED_APP_HITS
