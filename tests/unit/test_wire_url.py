"""The wire client without a server: its URL reading (libpq's, or none) and its transaction guard."""

from __future__ import annotations

import io
import struct
from pathlib import Path
from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st
from psycopg.conninfo import conninfo_to_dict

from sync_schema.errors import DatabaseError
from sync_schema.source import wire

ACCEPTED = [
    (
        "postgresql://app:pw@db.example.com:6543/postgres",
        ("db.example.com", 6543, "app", "pw", "postgres", "prefer"),
    ),
    ("postgres://app@h/db?sslmode=require", ("h", 5432, "app", None, "db", "require")),
    ("postgresql://app:p%40ss%2Fw%3Ad@h/db", ("h", 5432, "app", "p@ss/w:d", "db", "prefer")),
    ("postgresql://app:a:b@h/db", ("h", 5432, "app", "a:b", "db", "prefer")),
    ("postgresql://app:a+b@h/db", ("h", 5432, "app", "a+b", "db", "prefer")),
    ("postgresql://app:@h/db", ("h", 5432, "app", None, "db", "prefer")),
    ("postgresql://app@[::1]:5433/db", ("::1", 5433, "app", None, "db", "prefer")),
    ("postgresql://app@h", ("h", 5432, "app", None, "app", "prefer")),
    (
        "postgresql://postgres@/example?host=/run/sock%20dir&port=5432",
        ("/run/sock dir", 5432, "postgres", None, "example", "prefer"),
    ),
    (
        "postgresql://h/db?user=u&password=x%26y&sslmode=disable&application_name=ci",
        ("h", 5432, "u", "x&y", "db", "disable"),
    ),
    ("postgresql://u@h/d%C3%B6b?connect_timeout=0", ("h", 5432, "u", None, "döb", "prefer")),
]

REFUSED = [
    "host=h user=u dbname=d",  # key=value
    "mysql://u@h/d",
    "postgresql://u:p@ss@h/d",  # an unencoded @
    "postgresql://u:p/w@h/d",  # an unencoded / in the password
    "postgresql://u@h1,h2/d",  # several hosts
    "postgresql://@h/d",  # no user: libpq takes the OS user's name
    "postgresql://u@/d",  # no host: libpq's compiled-in socket directory
    "postgresql://u@h/d?sslmode=verify-full",
    "postgresql://u@h/d?sslrootcert=/x",
    "postgresql://u@h/d?options=-c%20search_path%3Dx",
    "postgresql://u@h/d?target_session_attrs=read-write",
    "postgresql://u@h/d?channel_binding=require",
    "postgresql://u@h/d?service=prod",
    "postgresql://u@h/d?sslmode=require&sslmode=disable",
    "postgresql://u@h:port/d",
    "postgresql://u:%zz@h/d",  # a malformed escape
    "postgresql://u:%00@h/d",
    "postgresql://u:%ff@h/d",  # not UTF-8
    "postgresql://u@h/d?connect_timeout=x",
    "postgresql://u@h/d#fragment",
    "postgresql://u@/d?host=/run&sslmode=require",  # TLS on a Unix socket
]


@pytest.mark.parametrize(("url", "expected"), ACCEPTED)
def test_an_accepted_url_reads_as_libpq_reads_it(
    url: str, expected: tuple[str, int, str, str | None, str, str]
) -> None:
    target = wire.parse_url(url)

    got = (target.host, target.port, target.user, target.password, target.dbname, target.sslmode)
    assert got == expected
    libpq = conninfo_to_dict(url)
    assert libpq.get("host") == target.host
    assert int(libpq.get("port") or 5432) == target.port
    assert libpq.get("user") == target.user
    assert libpq.get("password") == target.password
    assert (libpq.get("dbname") or target.user) == target.dbname


@pytest.mark.parametrize("url", REFUSED)
def test_anything_else_is_left_to_libpq(url: str) -> None:
    with pytest.raises(wire.Unsupported):
        wire.parse_url(url)


_TEXT = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), min_size=1, max_size=12)


@given(user=_TEXT, password=_TEXT, dbname=_TEXT, encode=st.booleans())
def test_any_url_it_accepts_libpq_reads_the_same(
    user: str, password: str, dbname: str, encode: bool
) -> None:
    part = (lambda s: quote(s, safe="")) if encode else (lambda s: s)
    url = f"postgresql://{part(user)}:{part(password)}@db.example.com:5432/{part(dbname)}"
    try:
        target = wire.parse_url(url)
    except wire.Unsupported:
        return
    libpq = conninfo_to_dict(url)
    database = libpq.get("dbname") or libpq.get("user")  # libpq's default database: the user's
    assert (libpq.get("user"), libpq.get("password"), database) == (
        target.user,
        target.password,
        target.dbname,
    )
    assert libpq.get("host") == target.host


def test_pg_variables_and_a_postgresql_folder_turn_the_wire_read_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    wire.check_environment({"DATABASE_URL": "x"})
    with pytest.raises(wire.Unsupported):
        wire.check_environment({"PGSSLMODE": "verify-full"})
    (tmp_path / ".postgresql").mkdir()
    with pytest.raises(wire.Unsupported):
        wire.check_environment({})


def _backend(kind: bytes, body: bytes) -> bytes:
    return kind + struct.pack("!i", len(body) + 4) + body


def _count_row(count: int) -> bytes:
    text = str(count).encode()
    return _backend(b"D", struct.pack("!hi", 1, len(text)) + text)


@pytest.mark.parametrize(
    "answer",
    [
        _backend(b"C", b"BEGIN\0")
        + _backend(b"C", b"SET\0")
        + _count_row(3)
        + _backend(b"Z", b"I"),
        _backend(b"E", b"SERROR\0C25P01\0Mno transaction blocks here\0\0") + _backend(b"Z", b"I"),
        _backend(b"C", b"BEGIN\0")
        + _backend(b"E", b"SERROR\0C22023\0Mbad\0\0")
        + _backend(b"Z", b"E"),
    ],
    ids=["not-in-a-transaction", "begin-refused", "set-failed"],
)
def test_the_catalog_read_is_never_sent_outside_its_read_only_transaction(answer: bytes) -> None:
    with pytest.raises(wire.Unsupported):
        wire._one_value(io.BytesIO(answer), 30_000)


def test_the_catalog_read_follows_a_begun_transaction() -> None:
    answer = _backend(b"C", b"BEGIN\0") + _backend(b"C", b"SET\0") + _count_row(3)
    assert wire._one_value(io.BytesIO(answer + _backend(b"Z", b"T")), 30_000) == "3"


def test_a_timeout_while_sizing_the_catalog_is_reported_not_retried() -> None:
    cancelled = b"SERROR\0C57014\0Mcanceling statement due to statement timeout\0\0"
    answer = _backend(b"C", b"BEGIN\0") + _backend(b"E", cancelled) + _backend(b"Z", b"E")

    with pytest.raises(DatabaseError) as caught:
        wire._one_value(io.BytesIO(answer), 250)

    assert "statement timeout (250 ms)" in caught.value.message
