"""View trees with hostile aliases, read from a real server."""

from __future__ import annotations

import psycopg
import pytest

from sync_schema.source.introspect import introspect


@pytest.mark.postgres
def test_a_view_alias_with_an_unbalanced_quote_is_introspected(fresh_db: str) -> None:
    # The old tokenizer never finished on this view's 1.7 kB tree.
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE t (a int NOT NULL, b text);"
            'CREATE VIEW v AS SELECT a AS "amount[""usd", b AS "c 0 d", a AS "x\\y z" FROM t;'
            'CREATE VIEW w AS SELECT a AS "[", a AS "]", a AS ":expr", a AS ":resno" FROM t'
        )

    view = introspect(fresh_db).table("public", "v")

    assert view is not None
    nullable = {c.name: c.nullable for c in view.columns}
    assert nullable == {'amount["usd': False, "c 0 d": True, "x\\y z": False}
    brackets = introspect(fresh_db).table("public", "w")
    assert brackets is not None
    assert [c.nullable for c in brackets.columns] == [False] * 4
