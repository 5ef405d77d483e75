"""The Supabase shim and its emulated extensions, against every real PostgreSQL server."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from typer.testing import CliRunner

from sync_schema.cli.app import app
from sync_schema.config import Overrides, load_settings
from sync_schema.embedded import binaries, extensions
from sync_schema.embedded.extensions import EMULATED_EXTENSIONS_DIR, emulated_extension_names
from sync_schema.embedded.migrations import (
    apply_migrations,
    apply_supabase_shim,
    embedded_database,
    is_supabase_migrations,
)
from sync_schema.embedded.server import TempServer
from sync_schema.errors import ConfigError, DatabaseError, MigrationError
from tests.conftest import _SERVER_BINS, MIGRATIONS

ROOT = Path(__file__).parents[2]
FIXTURE = Path(__file__).parents[1] / "fixtures" / "supabase_app" / "supabase" / "migrations"
VECTOR_MIGRATION = "20240104000000_embeddings.sql"
EMULATION_COMMENT = "sync-schema SQL emulation"
BIN_IDS = [test_id for test_id, _ in _SERVER_BINS]
BINS = [pg_bin for _, pg_bin in _SERVER_BINS]
# 100 ns ticks from the UUID epoch (1582-10-15) to the Unix epoch.
GREGORIAN_TICKS = 122_192_928_000_000_000
USER_A = "11111111-1111-4111-8111-111111111111"
USER_B = "22222222-2222-4222-8222-222222222222"


def _dbname(dsn: str) -> str:
    return urlsplit(dsn).path.lstrip("/")


def _query(server: TempServer, dsn: str, sql: str) -> str:
    return server.psql(sql, dbname=_dbname(dsn)).strip()


def _load_emulation(server: TempServer, dsn: str, name: str, schema: str) -> None:
    """Run an emulated extension's script into `schema`, as CREATE EXTENSION would."""
    (script,) = EMULATED_EXTENSIONS_DIR.glob(f"{name}--*.sql")
    body = "\n".join(
        line
        for line in script.read_text(encoding="utf-8").splitlines()
        if not line.startswith("\\")
    )
    sql = f"create schema if not exists {schema};\n" + body.replace("@extschema@", schema)
    _query(server, dsn, sql)


def _has_real_extension(server: TempServer, name: str) -> bool:
    _bindir, sharedir, _pkglibdir = extensions.installation_dirs(server.pg_bin)
    return (sharedir / "extension" / f"{name}.control").is_file()


def _has_vector(pg_bin: Path) -> bool:
    return _has_real_extension(TempServer(pg_bin), "vector")


def _supabase_project(tmp_path: Path, pg_bin: Path) -> Path:
    """A project folder holding a copy of the fixture's migrations, without pgvector's if absent."""
    migrations = tmp_path / "app" / "supabase" / "migrations"
    shutil.copytree(FIXTURE, migrations)
    if not _has_vector(pg_bin):
        (migrations / VECTOR_MIGRATION).unlink()
    return migrations


@pytest.fixture(scope="module", params=BINS, ids=BIN_IDS)
def shim_server(request: pytest.FixtureRequest) -> Iterator[TempServer]:
    """A started throwaway server that can create the emulated extensions."""
    with TempServer(request.param, emulate_extensions=True) as server:
        yield server


@pytest.fixture
def shim_db(shim_server: TempServer) -> Iterator[str]:
    """A new database on shim_server with the Supabase shim applied, dropped after the test."""
    name = f"shim_{uuid.uuid4().hex[:12]}"
    dsn = shim_server.create_database(name)
    apply_supabase_shim(dsn, pg_bin=shim_server.pg_bin)
    yield dsn
    shim_server.psql(f'drop database if exists "{name}" with (force)')


# --- the emulated extensions --------------------------------------------------------------------


_SIGNATURES = """
select coalesce(string_agg(signature, E'\\n' order by signature), '') from (
    select format('%s(%s) -> %s', p.proname, pg_get_function_identity_arguments(p.oid),
        pg_get_function_result(p.oid)) as signature
    from pg_proc p
    where p.pronamespace = '{schema}'::regnamespace and p.proname not like '%emulation%'
) functions
"""


@pytest.mark.postgres
@pytest.mark.parametrize("name", emulated_extension_names())
def test_each_emulation_has_exactly_the_real_extensions_functions(
    pg_server: TempServer, fresh_db: str, name: str
) -> None:
    if not _has_real_extension(pg_server, name):
        pytest.skip(f"this server has no real {name} to compare with")
    _query(pg_server, fresh_db, f'create schema real; create extension "{name}" with schema real')
    _load_emulation(pg_server, fresh_db, name, "emu")

    real = _query(pg_server, fresh_db, _SIGNATURES.format(schema="real"))
    emulated = _query(pg_server, fresh_db, _SIGNATURES.format(schema="emu"))

    assert emulated.splitlines() == real.splitlines()


@pytest.mark.postgres
def test_emulated_functions_exist_and_return_their_types(
    pg_server: TempServer, fresh_db: str
) -> None:
    for name in emulated_extension_names():
        _load_emulation(pg_server, fresh_db, name, "emu")
    calls = {
        "emu.uuid_nil()": "uuid",
        "emu.uuid_ns_dns()": "uuid",
        "emu.uuid_ns_url()": "uuid",
        "emu.uuid_ns_oid()": "uuid",
        "emu.uuid_ns_x500()": "uuid",
        "emu.uuid_generate_v1()": "uuid",
        "emu.uuid_generate_v1mc()": "uuid",
        "emu.uuid_generate_v3(emu.uuid_ns_url(), 'x')": "uuid",
        "emu.uuid_generate_v4()": "uuid",
        "emu.uuid_generate_v5(emu.uuid_ns_url(), 'x')": "uuid",
        "emu.digest('x', 'sha256')": "bytea",
        "emu.digest('x'::bytea, 'md5')": "bytea",
        "emu.hmac('x', 'k', 'sha1')": "bytea",
        "emu.hmac('x'::bytea, 'k'::bytea, 'sha512')": "bytea",
        "emu.crypt('pw', emu.gen_salt('bf'))": "text",
        "emu.gen_salt('md5')": "text",
        "emu.gen_salt('bf', 8)": "text",
        "emu.gen_random_bytes(16)": "bytea",
        "emu.gen_random_uuid()": "uuid",
        "emu.json_matches_schema('{}', '1')": "boolean",
        "emu.jsonb_matches_schema('{}', '1')": "boolean",
        "emu.jsonschema_is_valid('{}')": "boolean",
        "emu.jsonschema_validation_errors('{}', '1')": "text[]",
    }
    select = ", ".join(f"pg_typeof({call})::text" for call in calls)

    types = _query(pg_server, fresh_db, f"select {select}").split("|")

    assert dict(zip(calls, types, strict=True)) == calls


@pytest.mark.postgres
def test_emulated_uuids_digests_and_hmacs_equal_the_reference_values(
    pg_server: TempServer, fresh_db: str
) -> None:
    for name in ("uuid-ossp", "pgcrypto"):
        _load_emulation(pg_server, fresh_db, name, "emu")
    names = ["python.org", "", "é/ü", "x" * 300]
    for namespace, ns_sql in ((uuid.NAMESPACE_DNS, "dns"), (uuid.NAMESPACE_URL, "url")):
        for text in names:
            literal = text.replace("'", "''")
            got = _query(
                pg_server,
                fresh_db,
                f"select emu.uuid_generate_v3(emu.uuid_ns_{ns_sql}(), '{literal}'),"
                f" emu.uuid_generate_v5(emu.uuid_ns_{ns_sql}(), '{literal}')",
            )
            assert got == f"{uuid.uuid3(namespace, text)}|{uuid.uuid5(namespace, text)}"
    # Lengths around SHA padding boundaries (55, 56, 64 bytes) and several blocks.
    for size in (0, 1, 55, 56, 63, 64, 65, 119, 120, 1000):
        data = bytes((i * 7 + size) % 256 for i in range(size))
        hexdata = data.hex()
        for algorithm in ("md5", "sha1", "sha224", "sha256", "sha384", "sha512"):
            got = _query(
                pg_server,
                fresh_db,
                f"select encode(emu.digest('\\x{hexdata}'::bytea, '{algorithm.upper()}'), 'hex')",
            )
            assert got == hashlib.new(algorithm, data).hexdigest(), (algorithm, size)
    for key in (b"", b"key", bytes(range(64)), bytes(range(200))):
        for algorithm in ("md5", "sha1", "sha256", "sha512"):
            got = _query(
                pg_server,
                fresh_db,
                f"select encode(emu.hmac('message'::bytea, '\\x{key.hex()}'::bytea,"
                f" '{algorithm}'), 'hex')",
            )
            assert got == hmac.new(key, b"message", algorithm).hexdigest(), (algorithm, key)
    assert _query(
        pg_server, fresh_db, "select emu.digest('é', 'sha256') = sha256(convert_to('é', 'UTF8'))"
    ) == ("t")


@pytest.mark.postgres
def test_emulated_time_and_random_uuids_have_their_version_and_variant(
    pg_server: TempServer, fresh_db: str
) -> None:
    _load_emulation(pg_server, fresh_db, "uuid-ossp", "emu")

    row = _query(
        pg_server,
        fresh_db,
        "select extract(epoch from clock_timestamp()), emu.uuid_generate_v1(),"
        " emu.uuid_generate_v1mc(), emu.uuid_generate_v4(), extract(epoch from clock_timestamp())",
    ).split("|")

    before, v1, v1mc, v4, after = row
    for text, version in ((v1, 1), (v1mc, 1), (v4, 4)):
        value = uuid.UUID(text)
        assert value.version == version
        assert value.variant == uuid.RFC_4122
    # v1 counts 100 ns ticks from 1582-10-15; its time lies between the two clock readings.
    first_tick, last_tick = (
        int(Decimal(t) * 10_000_000) + GREGORIAN_TICKS for t in (before, after)
    )
    for text in (v1, v1mc):
        value = uuid.UUID(text)
        assert value.node & (1 << 40)  # the multicast bit: a random node, never a MAC address
        assert first_tick - 10 <= value.time <= last_tick + 10
    assert len({v1, v1mc, v4}) == 3


@pytest.mark.postgres
def test_emulated_random_bytes_salts_and_crypt_verify_like_pgcrypto(
    pg_server: TempServer, fresh_db: str
) -> None:
    _load_emulation(pg_server, fresh_db, "pgcrypto", "emu")

    lengths = _query(
        pg_server,
        fresh_db,
        "select length(emu.gen_random_bytes(1)), length(emu.gen_random_bytes(33)),"
        " length(emu.gen_random_bytes(1024)),"
        " emu.gen_random_bytes(16) <> emu.gen_random_bytes(16)",
    )
    assert lengths == "1|33|1024|t"
    forms = {
        "bf": r"\$2a\$06\$[./0-9A-Za-z]{53}",
        "md5": r"\$1\$[./0-9A-Za-z]{8}\$[./0-9A-Za-z]{22}",
        "xdes": r"_J9\.\.[./0-9A-Za-z]{15}",
        "des": r"[./0-9A-Za-z]{13}",
    }
    for kind, form in forms.items():
        stored, verified, wrong = _query(
            pg_server,
            fresh_db,
            f"with h as (select emu.crypt('s3cret', emu.gen_salt('{kind}')) as hash)"
            " select hash, emu.crypt('s3cret', hash) = hash, emu.crypt('other', hash) = hash"
            " from h",
        ).split("|")
        assert re.fullmatch(form, stored), (kind, stored)
        assert (verified, wrong) == ("t", "f"), kind
    assert _query(pg_server, fresh_db, "select emu.gen_salt('bf', 10)").startswith("$2a$10$")
    for bad in (
        "emu.gen_salt('bf', 3)",
        "emu.gen_salt('xdes', 2)",
        "emu.gen_salt('sha1')",
        "emu.gen_random_bytes(1025)",
        "emu.digest('x', 'whirlpool')",
        "emu.crypt('x', '$9$nope')",
    ):
        with pytest.raises(DatabaseError):
            _query(pg_server, fresh_db, f"select {bad}")
    with pytest.raises(DatabaseError, match=r"pgp_sym_encrypt\(\) is not emulated"):
        _query(pg_server, fresh_db, "select emu.pgp_sym_encrypt('secret', 'key')")


@pytest.mark.postgres
def test_emulated_jsonschema_accepts_documents_and_checks_only_the_schema_shape(
    pg_server: TempServer, fresh_db: str
) -> None:
    _load_emulation(pg_server, fresh_db, "pg_jsonschema", "emu")

    got = _query(
        pg_server,
        fresh_db,
        """select emu.jsonb_matches_schema('{"type": "string"}', '42'),
                  emu.json_matches_schema('{"type": "object"}', '[]'),
                  emu.jsonb_matches_schema('{}', null) is null,
                  emu.jsonschema_is_valid('{"type": "object"}'),
                  emu.jsonschema_is_valid('true'),
                  emu.jsonschema_is_valid('"object"'),
                  emu.jsonschema_validation_errors('{}', '1') = '{}'""",
    )

    assert got == "t|t|t|t|t|f|t"


@pytest.mark.postgres
def test_a_shim_server_emulates_only_the_extensions_its_installation_lacks(
    shim_server: TempServer,
) -> None:
    missing = [n for n in emulated_extension_names() if not _has_real_extension(shim_server, n)]

    names = ", ".join(f"'{name}'" for name in emulated_extension_names())
    available = shim_server.psql(
        "select name, coalesce(comment, '') from pg_available_extensions"
        f" where name in ({names}) order by name"
    )

    assert list(shim_server.emulated_extensions) == missing
    comments = dict(line.split("|", 1) for line in available.splitlines())
    assert sorted(comments) == sorted(emulated_extension_names())
    for name, comment in comments.items():
        assert (EMULATION_COMMENT in comment) == (name in missing), name
    # The installation itself was never written to: what it lacked, it still lacks.
    assert all(not _has_real_extension(shim_server, name) for name in missing)


# --- the shim's objects -------------------------------------------------------------------------


@pytest.mark.postgres
def test_the_shim_creates_supabase_roles_schemas_tables_and_extensions(
    shim_server: TempServer, shim_db: str
) -> None:
    roles = _query(
        shim_server,
        shim_db,
        "select string_agg(format('%s:%s:%s', rolname, rolcanlogin, rolbypassrls), ' '"
        " order by rolname) from pg_roles where rolname in"
        " ('anon', 'authenticated', 'service_role', 'supabase_admin', 'authenticator')",
    )
    assert roles == (
        "anon:f:f authenticated:f:f authenticator:f:f service_role:f:t supabase_admin:f:t"
    )
    assert _query(
        shim_server,
        shim_db,
        "select pg_has_role('authenticator', 'anon', 'member'),"
        " pg_has_role('authenticator', 'authenticated', 'member'),"
        " pg_has_role('authenticator', 'service_role', 'member'),"
        " has_schema_privilege('anon', 'auth', 'usage'),"
        " has_schema_privilege('authenticated', 'extensions', 'usage'),"
        " has_table_privilege('anon', 'auth.users', 'select')",
    ) == ("t|t|t|t|t|f")
    user_columns = _query(
        shim_server,
        shim_db,
        "select string_agg(attname || ' ' || format_type(atttypid, atttypmod), ', ' order by attnum)"
        " from pg_attribute where attrelid = 'auth.users'::regclass and attname in"
        " ('id', 'email', 'raw_user_meta_data', 'raw_app_meta_data', 'created_at', 'phone')",
    )
    assert user_columns == (
        "id uuid, email character varying(255), raw_app_meta_data jsonb,"
        " raw_user_meta_data jsonb, created_at timestamp with time zone, phone text"
    )
    assert _query(
        shim_server,
        shim_db,
        "select string_agg(format('%s:%s', oid::regclass, relrowsecurity), ' ' order by oid::regclass::text)"
        " from pg_class where oid in ('auth.users'::regclass, 'storage.buckets'::regclass,"
        " 'storage.objects'::regclass)",
    ) == ("auth.users:t storage.buckets:t storage.objects:t")
    assert _query(
        shim_server,
        shim_db,
        "select string_agg(extname || '@' || extnamespace::regnamespace, ' ' order by extname)"
        " from pg_extension where extname <> 'plpgsql'",
    ) == (
        "pg_graphql@graphql pg_stat_statements@extensions pgcrypto@extensions"
        " supabase_vault@vault uuid-ossp@extensions"
    )
    assert _query(
        shim_server,
        shim_db,
        "select (select count(*) from pg_publication where pubname = 'supabase_realtime'),"
        " (select setconfig from pg_db_role_setting where setrole = 0"
        "  and setdatabase = (select oid from pg_database where datname = current_database()))",
    ) == ('1|{"search_path=\\"$user\\", public, extensions"}')


@pytest.mark.postgres
def test_auth_functions_read_the_request_jwt_claims_as_supabase_does(
    shim_server: TempServer, shim_db: str
) -> None:
    claims = json.dumps({"sub": USER_A, "role": "authenticated", "email": "a@example.com"})

    current = _query(
        shim_server,
        shim_db,
        f"set request.jwt.claims = '{claims}';"
        " select auth.uid(), auth.role(), auth.email(), auth.jwt() ->> 'email',"
        " pg_typeof(auth.uid()), pg_typeof(auth.role()), pg_typeof(auth.jwt())",
    )
    legacy = _query(
        shim_server,
        shim_db,
        f"set request.jwt.claim.sub = '{USER_B}'; set request.jwt.claim.role = 'anon';"
        " select auth.uid(), auth.role()",
    )
    anonymous = _query(
        shim_server, shim_db, "select auth.uid() is null, auth.role() is null, auth.jwt() is null"
    )

    assert current == f"{USER_A}|authenticated|a@example.com|a@example.com|uuid|text|jsonb"
    assert legacy == f"{USER_B}|anon"
    assert anonymous == "t|t|t"
    assert _query(
        shim_server,
        shim_db,
        "select storage.foldername('avatars/user/me.png'), storage.filename('a/b/me.png'),"
        " storage.extension('a/b/me.tar.gz'), storage.extension('a/README') is null",
    ) == ("{avatars,user}|me.png|gz|t")


_SHIM_OBJECTS = """
select string_agg(item, E'\\n' order by item) from (
    select format('class %s %s %s', c.oid::regclass, c.relkind, c.relrowsecurity)
        from pg_class c where c.relnamespace::regnamespace::text in ('auth', 'storage', 'extensions')
    union all select format('proc %s', p.oid::regprocedure)
        from pg_proc p where p.pronamespace::regnamespace::text in ('auth', 'storage', 'extensions')
    union all select format('role %s %s %s', r.rolname, r.rolbypassrls,
        (select count(*) from pg_auth_members m where m.member = r.oid))
        from pg_roles r where r.rolname in
        ('anon', 'authenticated', 'service_role', 'supabase_admin', 'authenticator')
    union all select format('ext %s %s', extname, extversion) from pg_extension
    union all select format('acl %s %s', n.nspname, n.nspacl) from pg_namespace n
        where n.nspname in ('public', 'auth', 'storage', 'extensions')
    union all select format('default %s %s', d.defaclobjtype, d.defaclacl) from pg_default_acl d
    union all select format('pub %s', pubname) from pg_publication
    union all select format('setting %s', setconfig) from pg_db_role_setting
        where setdatabase = (select oid from pg_database where datname = current_database())
) items(item)
"""


@pytest.mark.postgres
def test_applying_the_shim_twice_changes_nothing(shim_server: TempServer, shim_db: str) -> None:
    first = _query(shim_server, shim_db, _SHIM_OBJECTS)

    apply_supabase_shim(shim_db, pg_bin=shim_server.pg_bin)

    assert _query(shim_server, shim_db, _SHIM_OBJECTS) == first
    assert "class auth.users r t" in first.splitlines()
    assert "proc auth.uid()" in first.splitlines()


# --- Supabase-style migrations ------------------------------------------------------------------


@pytest.mark.postgres
def test_supabase_migrations_apply_under_the_shim_and_their_policies_hold(
    shim_server: TempServer, shim_db: str, tmp_path: Path
) -> None:
    migrations = _supabase_project(tmp_path, shim_server.pg_bin)
    claims_a = json.dumps({"sub": USER_A, "role": "authenticated"})
    claims_b = json.dumps({"sub": USER_B, "role": "authenticated"})

    applied = apply_migrations(shim_db, migrations, pg_bin=shim_server.pg_bin)

    assert [p.name for p in applied] == sorted(p.name for p in migrations.glob("*.sql"))
    # The security definer trigger on auth.users creates the profile; the FK cascades.
    _query(
        shim_server,
        shim_db,
        "insert into auth.users (id, email, raw_user_meta_data) values"
        f" ('{USER_A}', 'a@example.com', '{{\"full_name\": \"Ada\"}}'),"
        f" ('{USER_B}', 'b@example.com', '{{\"full_name\": \"Bob\"}}')",
    )
    assert _query(
        shim_server, shim_db, "select string_agg(full_name, ',' order by full_name) from profiles"
    ) == ("Ada,Bob")
    # Row level security with auth.uid(): the owner default, and each user sees their own.
    owned = _query(
        shim_server,
        shim_db,
        f"set role authenticated; set request.jwt.claims = '{claims_a}';"
        " insert into projects (name, settings) values ('alpha', '{\"theme\": \"dark\"}')"
        " returning owner_id, length(share_token), pg_typeof(id)",
    )
    assert owned == f"{USER_A}|32|uuid"
    visible = _query(
        shim_server,
        shim_db,
        f"set role authenticated; set request.jwt.claims = '{claims_b}';"
        " select count(*) from projects",
    )
    assert visible == "0"
    folder = _query(
        shim_server,
        shim_db,
        f"set role authenticated; set request.jwt.claims = '{claims_a}';"
        f" insert into storage.objects (bucket_id, name) values ('avatars', '{USER_A}/me.png')"
        " returning path_tokens",
    )
    assert folder == f"{{{USER_A},me.png}}"
    with pytest.raises(DatabaseError, match="row-level security"):
        _query(
            shim_server,
            shim_db,
            f"set role authenticated; set request.jwt.claims = '{claims_a}';"
            f" insert into storage.objects (bucket_id, name) values ('avatars', '{USER_B}/x.png')",
        )
    assert _query(
        shim_server,
        shim_db,
        "select has_table_privilege('anon', 'profiles', 'select'),"
        " (select count(*) from pg_policies where schemaname = 'public'),"
        " (select count(*) from pg_publication_tables where pubname = 'supabase_realtime'),"
        " (select count(*) from pg_constraint where conname = 'projects_settings_check')",
    ) == ("t|5|1|1")
    _query(shim_server, shim_db, f"delete from auth.users where id = '{USER_A}'")
    assert _query(shim_server, shim_db, "select count(*) from profiles") == "1"
    if (migrations / VECTOR_MIGRATION).exists():
        assert _query(
            shim_server,
            shim_db,
            "select format_type(atttypid, atttypmod) from pg_attribute"
            " where attrelid = 'document_chunks'::regclass and attname = 'embedding'",
        ) == ("vector(3)")


@pytest.mark.postgres
def test_the_jsonschema_check_names_the_extension_function(
    shim_server: TempServer, shim_db: str, tmp_path: Path
) -> None:
    apply_migrations(
        shim_db, _supabase_project(tmp_path, shim_server.pg_bin), pg_bin=shim_server.pg_bin
    )

    definition = _query(
        shim_server,
        shim_db,
        "set search_path = pg_catalog; select pg_get_constraintdef(oid) from pg_constraint"
        " where conname = 'projects_settings_check'",
    )

    assert definition.startswith("CHECK (extensions.jsonb_matches_schema('{")
    assert definition.endswith("}'::json, settings))")


@pytest.mark.postgres
@pytest.mark.parametrize("pg_bin", BINS, ids=BIN_IDS)
def test_the_shim_is_off_for_other_folders_unless_asked(pg_bin: Path, tmp_path: Path) -> None:
    probe = (
        "create table public.probe as select to_regnamespace('auth') is not null as has_auth,"
        " exists (select from pg_roles where rolname = 'anon') as has_anon;\n"
    )
    folders = {
        "plain": tmp_path / "db" / "migrations",
        "supabase": tmp_path / "supabase" / "migrations",
    }
    for folder in folders.values():
        folder.mkdir(parents=True)
        (folder / "20250101000000_probe.sql").write_text(probe, encoding="utf-8")

    def probed(folder: Path, shim: bool | None) -> str:
        with embedded_database(folder, pg_bin=pg_bin, supabase_shim=shim) as dsn:
            result = subprocess.run(
                [str(pg_bin / "psql"), "-X", "-A", "-t", "-d", dsn, "-c", "table probe"],
                capture_output=True,
                text=True,
                check=True,
            )
        return result.stdout.strip()

    assert probed(folders["plain"], None) == "f|f"
    assert probed(folders["plain"], True) == "t|t"
    assert probed(folders["supabase"], None) == "t|t"
    assert probed(folders["supabase"], False) == "f|f"


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("supabase/migrations", True),
        ("some/app/supabase/migrations/", True),
        ("supabase/migrations/../migrations", True),
        ("db/migrations", False),
        ("supabase", False),
        ("supabase/migrations/old", False),
    ],
)
def test_a_folder_is_supabases_when_it_ends_in_supabase_migrations(
    path: str, expected: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "supabase" / "migrations" / "old").mkdir(parents=True)

    assert is_supabase_migrations(Path(path)) is expected


@pytest.mark.postgres
def test_a_failing_shim_is_an_error_naming_its_line_before_any_migration(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = tmp_path / "supabase_shim.sql"
    broken.write_text("create schema if not exists auth;\n\nselect no_such_function();\n")
    monkeypatch.setattr("sync_schema.embedded.migrations.SUPABASE_SHIM_SQL", broken)
    migrations = tmp_path / "supabase" / "migrations"
    migrations.mkdir(parents=True)
    (migrations / "20250101000000_init.sql").write_text("create table public.t (id int);\n")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text("[tool.sync-schema]\n", encoding="utf-8")

    with (
        pytest.raises(
            DatabaseError, match=r"Supabase shim failed at supabase_shim\.sql:3"
        ) as error,
        embedded_database(migrations),
    ):
        pass
    result = CliRunner().invoke(app, ["generate", "--out", str(tmp_path / "out")])

    assert "no_such_function" in error.value.message
    assert "--no-supabase-shim" in error.value.hint
    assert result.exit_code == 2
    assert "Supabase shim failed at supabase_shim.sql:3" in result.output
    assert "hint: pass --no-supabase-shim" in result.output
    assert not (tmp_path / "out").exists()


# --- configuration ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("config", "flag", "expected"),
    [
        ("", None, None),
        ("supabase-shim = false\n", None, False),
        ("supabase-shim = true\n", None, True),
        ("supabase-shim = false\n", True, True),
        ("supabase-shim = true\n", False, False),
    ],
)
def test_the_shim_setting_comes_from_the_flag_over_the_config(
    tmp_path: Path, config: str, flag: bool | None, expected: bool | None
) -> None:
    (tmp_path / "pyproject.toml").write_text(f"[tool.sync-schema]\n{config}", encoding="utf-8")

    settings = load_settings(Overrides(supabase_shim=flag), cwd=tmp_path)

    assert settings.supabase_shim is expected


def test_a_non_boolean_shim_setting_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.sync-schema]\nsupabase-shim = "yes"\n', encoding="utf-8"
    )

    with pytest.raises(ConfigError, match="supabase-shim must be a bool"):
        load_settings(Overrides(), cwd=tmp_path)


# --- end to end ---------------------------------------------------------------------------------


TYPED_JSONB_CHECK = """
from pydantic import ValidationError
from schemas.database.entities import ProjectRow
from schemas.generated.fastapi.jsonb.projects_settings import ProjectSettings
valid = {"theme": "dark", "notifications": True}
assert ProjectSettings.model_validate(valid).model_dump(mode="json", exclude_none=True) == valid
for invalid in ({"theme": "pink"}, {"theme": "dark", "colour": "red"}, {"notifications": [1]}):
    try:
        ProjectSettings.model_validate(invalid)
    except ValidationError:
        continue
    raise SystemExit(f"accepted {invalid}")
print(ProjectRow.__annotations__["settings"])
"""


def _cli(cwd: Path, pg_bin: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "SUPABASE_PROJECT_ID") and not k.startswith("PG")
    }
    env.update(SOURCE_DATE_EPOCH="1735689600", NO_COLOR="1")
    env.pop(binaries.PG_BIN_ENV, None)
    if pg_bin.resolve() != binaries.embedded_pg_bin().resolve():
        env[binaries.PG_BIN_ENV] = str(pg_bin)
    return subprocess.run(
        [sys.executable, "-m", "sync_schema", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )


@pytest.mark.postgres
@pytest.mark.parametrize("pg_bin", BINS, ids=BIN_IDS)
def test_generate_on_a_supabase_project_emits_only_public_and_fails_without_the_shim(
    pg_bin: Path, tmp_path: Path
) -> None:
    migrations = _supabase_project(tmp_path, pg_bin)
    project = migrations.parent.parent
    (project / "pyproject.toml").write_text("[tool.sync-schema]\n", encoding="utf-8")

    generated = _cli(project, pg_bin, "generate")
    check = _cli(project, pg_bin, "check", "--full")
    bare = _cli(project, pg_bin, "generate", "--no-supabase-shim", "--out", "bare")

    assert generated.returncode == 0, generated.stdout + generated.stderr
    assert check.returncode == 0, check.stdout + check.stderr
    document = json.loads((project / "schemas" / "schema.json").read_text(encoding="utf-8"))
    snapshot = document["database"]
    assert snapshot["schemas"] == ["public"]
    tables = {(t["schema"], t["name"]) for t in snapshot["tables"]}
    expected = {("public", "profiles"), ("public", "projects"), ("public", "project_events")}
    if (migrations / VECTOR_MIGRATION).exists():
        expected.add(("public", "document_chunks"))
    assert tables == expected
    code = "\n".join(p.read_text(encoding="utf-8") for p in (project / "schemas").rglob("*.py"))
    for shim_class in ("class UserRow", "class BucketRow", "class ObjectRow"):
        assert shim_class not in code
    imported = subprocess.run(
        [
            sys.executable,
            "-c",
            "from schemas.database.entities import ProfileRow, ProjectInsert;"
            "from schemas.generated.fastapi.models import Project;"
            "from schemas.enums import ProjectStatus;"
            "print(sorted(ProjectInsert.__annotations__), [m.value for m in ProjectStatus])",
        ],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )
    assert imported.returncode == 0, imported.stderr
    assert "'share_token'" in imported.stdout
    assert "['draft', 'active', 'archived']" in imported.stdout
    # The jsonb column's pg_jsonschema CHECK types it: a valid document validates, others fail.
    typed = subprocess.run(
        [sys.executable, "-c", TYPED_JSONB_CHECK], cwd=project, capture_output=True, text=True,
        check=False,
    )  # fmt: skip
    assert typed.returncode == 0, typed.stdout + typed.stderr
    assert "ProjectSettings" in typed.stdout
    mypy = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(tmp_path / "mypy"),
         "-p", "schemas"],
        cwd=project, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert mypy.returncode == 0, mypy.stdout + mypy.stderr
    assert bare.returncode == 2
    assert "20240101000000_extensions.sql:3" in bare.stderr
    assert "hint: " in bare.stderr
    assert not (project / "bare").exists()


@pytest.mark.postgres
@pytest.mark.parametrize("pg_bin", BINS, ids=BIN_IDS)
def test_the_repos_migrations_generate_the_committed_tree_with_and_without_the_shim(
    pg_bin: Path,
) -> None:
    assert MIGRATIONS == ROOT / "supabase" / "migrations"

    with_shim = _cli(ROOT, pg_bin, "check", "--full", "--supabase-shim")
    without = _cli(ROOT, pg_bin, "check", "--full", "--no-supabase-shim")

    assert with_shim.returncode == 0, with_shim.stdout + with_shim.stderr
    assert without.returncode == 0, without.stdout + without.stderr


# --- Supabase's default extensions, as `supabase db dump` references them -----------------------


DUMP_FIXTURE = Path(__file__).parents[1] / "fixtures" / "supabase_dump" / "supabase" / "migrations"
#: The extensions a Supabase dump creates, and the schema each ends up in (pg_cron's objects
#: live in cron, pg_net's in net; their extension schemas are pg_catalog and extensions).
DUMP_EXTENSIONS = {
    "http": "extensions",
    "pg_cron": "pg_catalog",
    "pg_graphql": "graphql",
    "pg_net": "extensions",
    "pg_stat_statements": "extensions",
    "pgcrypto": "extensions",
    "pgjwt": "extensions",
    "pgsodium": "pgsodium",
    "supabase_vault": "vault",
    "uuid-ossp": "extensions",
}
#: Schemas the stand-ins create or fill; nothing of theirs may reach schemas/.
STAND_IN_SCHEMAS = ("cron", "net", "vault", "pgsodium", "graphql", "graphql_public")


def _dump_project(tmp_path: Path) -> Path:
    project = tmp_path / "dumped"
    shutil.copytree(DUMP_FIXTURE, project / "supabase" / "migrations")
    (project / "pyproject.toml").write_text("[tool.sync-schema]\n", encoding="utf-8")
    return project


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


@pytest.mark.postgres
def test_a_supabase_dump_with_the_default_extensions_applies_under_the_shim(
    shim_server: TempServer, shim_db: str, tmp_path: Path
) -> None:
    migrations = _dump_project(tmp_path) / "supabase" / "migrations"

    applied = apply_migrations(shim_db, migrations, pg_bin=shim_server.pg_bin)

    assert len(applied) == 2
    extensions = _query(
        shim_server,
        shim_db,
        "select string_agg(extname || '@' || extnamespace::regnamespace, ' ' order by extname)"
        " from pg_extension where extname <> 'plpgsql'",
    )
    assert extensions == " ".join(f"{n}@{s}" for n, s in sorted(DUMP_EXTENSIONS.items()))
    # What the dump's follow-ups left behind, through the stand-ins' own objects.
    assert _query(
        shim_server,
        shim_db,
        "select string_agg(name || '=' || decrypted_secret, ' ' order by name)"
        " from vault.decrypted_secrets",
    ) == ("fn_key=not-a-real-key webhook_secret=not-a-real-secret")
    assert _query(
        shim_server,
        shim_db,
        "select string_agg(jobname || ' ' || schedule || ' ' || command, ';') from cron.job",
    ) == ("nightly-report 30 2 * * * select public.order_totals()")
    assert _query(
        shim_server,
        shim_db,
        "select obj_description('public'::regnamespace),"
        " pg_typeof(graphql.resolve('{ __typename }'))::text,"
        " pg_typeof(graphql_public.graphql(query => '{ __typename }'))::text,"
        " to_regclass('net._http_response') is not null,"
        " to_regclass('pgsodium.key') is not null,"
        " pg_typeof(net.http_get('https://example.invalid'))::text",
    ) == ('@graphql({"inflect_names": true})|jsonb|jsonb|t|t|bigint')


@pytest.mark.postgres
def test_the_pgjwt_stand_in_signs_and_verifies_like_pgjwt(
    shim_server: TempServer, shim_db: str
) -> None:
    _query(shim_server, shim_db, 'create extension if not exists "pgjwt" with schema extensions')
    payload = '{"sub":"1234","role":"authenticated"}'

    token = _query(shim_server, shim_db, f"select extensions.sign('{payload}', 'secret')")
    verified = _query(
        shim_server,
        shim_db,
        f"select header::text, payload::text, valid from extensions.verify('{token}', 'secret')",
    )
    forged = _query(
        shim_server, shim_db, f"select valid from extensions.verify('{token}', 'other')"
    )

    signing_input = _b64url(b'{"alg":"HS256","typ":"JWT"}') + "." + _b64url(payload.encode())
    signature = hmac.new(b"secret", signing_input.encode(), "sha256").digest()
    assert token == signing_input + "." + _b64url(signature)
    assert verified == f'{{"alg":"HS256","typ":"JWT"}}|{payload}|t'
    assert forged == "f"


@pytest.mark.postgres
@pytest.mark.parametrize("pg_bin", BINS, ids=BIN_IDS)
def test_generate_on_a_supabase_dump_exits_0_with_no_stand_in_object_in_schemas(
    pg_bin: Path, tmp_path: Path
) -> None:
    project = _dump_project(tmp_path)

    generated = _cli(project, pg_bin, "generate")
    check = _cli(project, pg_bin, "check", "--full")

    assert generated.returncode == 0, generated.stdout + generated.stderr
    assert check.returncode == 0, check.stdout + check.stderr
    snapshot = json.loads((project / "schemas" / "schema.json").read_text(encoding="utf-8"))
    database = snapshot["database"]
    assert database["schemas"] == ["public"]
    assert {(t["schema"], t["name"]) for t in database["tables"]} == {("public", "orders")}
    text = "\n".join(
        p.read_text(encoding="utf-8") for p in (project / "schemas").rglob("*") if p.is_file()
    )
    for stand_in in (
        "decrypted_secrets",
        "job_run_details",
        "http_request_queue",
        "_http_response",
        "http_header",
        "graphql_public",
        "valid_key",
        "uuid_generate_v1mc",
        "algorithm_sign",
    ):
        assert stand_in not in text, stand_in


POSTGIS_MIGRATION = (
    "-- supabase db dump\n"
    'CREATE EXTENSION IF NOT EXISTS "postgis" WITH SCHEMA "extensions";\n'
    'CREATE TABLE IF NOT EXISTS "public"."places" ("id" bigint NOT NULL,'
    ' "location" "extensions"."geography"(Point, 4326));\n'
)


@pytest.mark.postgres
@pytest.mark.parametrize("pg_bin", BINS, ids=BIN_IDS)
def test_postgis_loads_where_installed_else_exit_2_names_it_and_the_way_out(
    pg_bin: Path, tmp_path: Path
) -> None:
    project = tmp_path / "geo"
    migrations = project / "supabase" / "migrations"
    migrations.mkdir(parents=True)
    (migrations / "20250101000000_remote_schema.sql").write_text(POSTGIS_MIGRATION)
    (project / "pyproject.toml").write_text("[tool.sync-schema]\n", encoding="utf-8")

    result = _cli(project, pg_bin, "generate")

    if _has_real_extension(TempServer(pg_bin), "postgis"):
        assert result.returncode == 0, result.stdout + result.stderr
        return
    assert result.returncode == 2, result.stdout + result.stderr
    assert "20250101000000_remote_schema.sql:2" in result.stderr
    assert 'extension "postgis"' in result.stderr
    hint = result.stderr[result.stderr.index("hint: ") :]
    assert "install postgis" in hint
    assert "--db-url" in hint
    assert "fix " not in hint
    assert not (project / "schemas").exists()


@pytest.mark.postgres
def test_a_failing_migration_names_the_statements_first_line_and_keeps_postgres_context(
    tmp_path: Path,
) -> None:
    migrations = tmp_path / "db" / "migrations"
    migrations.mkdir(parents=True)
    (migrations / "20250101000000_init.sql").write_text(
        "-- a header comment\n" * 8
        + "create table public.a (id int);\n"
        + "\n"
        + "create table public.b (\n"
        + "    id int,\n"
        + "    owner public.no_such_type\n"
        + ");\n"
    )

    with pytest.raises(MigrationError) as error, embedded_database(migrations):
        pass

    assert error.value.line == 11
    assert "20250101000000_init.sql:11:" in error.value.message
    first, context, caret = error.value.pg_message.splitlines()
    assert first == 'ERROR:  type "public.no_such_type" does not exist'
    # Postgres numbers the statement's lines (LINE 3); the message numbers the file's.
    assert context == "LINE 13:     owner public.no_such_type"
    assert caret == " " * context.index("public.no_such_type") + "^"
