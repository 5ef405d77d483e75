-- sync-schema's Supabase shim: what a Supabase project's database has before its first
-- migration runs, for the throwaway server that sync-schema builds from supabase/migrations.
-- It is a minimal stand-in, written for this project, not Supabase's own schema: enough for
-- migrations to reference auth.users, storage, the API roles, auth.uid() and the usual
-- extensions. Applied in one transaction before the first migration; idempotent.
-- See the README, "Supabase shim".

-- Roles are cluster-wide, so each is created only when missing. None can log in: the
-- throwaway server is only introspected.
DO $shim$
DECLARE
    r record;
BEGIN
    FOR r IN
        SELECT * FROM (VALUES
            ('anon', 'NOLOGIN NOINHERIT'),
            ('authenticated', 'NOLOGIN NOINHERIT'),
            ('service_role', 'NOLOGIN NOINHERIT BYPASSRLS'),
            ('supabase_admin', 'NOLOGIN CREATEROLE CREATEDB REPLICATION BYPASSRLS'),
            ('authenticator', 'NOLOGIN NOINHERIT'),
            ('dashboard_user', 'NOLOGIN CREATEROLE CREATEDB REPLICATION'),
            ('supabase_auth_admin', 'NOLOGIN NOINHERIT CREATEROLE'),
            ('supabase_storage_admin', 'NOLOGIN NOINHERIT CREATEROLE'),
            -- pgsodium's own roles, which dumps may grant to.
            ('pgsodium_keyiduser', 'NOLOGIN'),
            ('pgsodium_keyholder', 'NOLOGIN'),
            ('pgsodium_keymaker', 'NOLOGIN')
        ) AS roles (name, options)
    LOOP
        IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = r.name) THEN
            EXECUTE format('CREATE ROLE %I %s', r.name, r.options);
        END IF;
    END LOOP;
END
$shim$;

-- PostgREST's login role switches to the API roles.
GRANT anon, authenticated, service_role TO authenticator;

CREATE SCHEMA IF NOT EXISTS extensions;
CREATE SCHEMA IF NOT EXISTS auth AUTHORIZATION supabase_admin;
CREATE SCHEMA IF NOT EXISTS storage AUTHORIZATION supabase_admin;
-- Schemas a Supabase project has before its first migration and that `supabase db dump`
-- leaves out, while its `create extension ... with schema graphql` (or vault) needs them.
CREATE SCHEMA IF NOT EXISTS graphql AUTHORIZATION supabase_admin;
CREATE SCHEMA IF NOT EXISTS graphql_public AUTHORIZATION supabase_admin;
CREATE SCHEMA IF NOT EXISTS vault AUTHORIZATION supabase_admin;

-- As on Supabase: unqualified uuid_generate_v4(), crypt() etc. resolve in extensions.
DO $shim$
BEGIN
    EXECUTE format(
        'ALTER DATABASE %I SET search_path TO "$user", public, extensions', current_database()
    );
END
$shim$;
SET search_path TO "$user", public, extensions;

-- Supabase preinstalls these; the real extension when the server has it, else the SQL
-- emulation that sync-schema provides (supabase_extensions/), else none (a migration needing
-- it then names its line). The others a dump creates (pgsodium, pgjwt, pg_cron, pg_net, http)
-- come the same way, real or emulated, when its CREATE EXTENSION runs.
DO $shim$
DECLARE
    r record;
BEGIN
    FOR r IN
        SELECT * FROM (VALUES
            ('uuid-ossp', 'extensions'),
            ('pgcrypto', 'extensions'),
            ('pg_stat_statements', 'extensions'),
            ('pg_graphql', 'graphql'),
            ('supabase_vault', 'vault')
        ) AS extensions (name, schema)
    LOOP
        IF EXISTS (SELECT FROM pg_catalog.pg_available_extensions WHERE name = r.name) THEN
            EXECUTE format('CREATE EXTENSION IF NOT EXISTS %I WITH SCHEMA %I', r.name, r.schema);
        END IF;
    END LOOP;
END
$shim$;

-- The GraphQL endpoint's entry point, which Supabase creates next to pg_graphql. PL/pgSQL, so
-- it exists even where pg_graphql does not; it answers through graphql.resolve() when called.
CREATE OR REPLACE FUNCTION graphql_public.graphql(
    "operationName" text DEFAULT NULL,
    query text DEFAULT NULL,
    variables jsonb DEFAULT NULL,
    extensions jsonb DEFAULT NULL
) RETURNS jsonb
LANGUAGE plpgsql
AS $$
BEGIN
    RETURN graphql.resolve(
        query => query,
        variables => coalesce(variables, '{}'),
        "operationName" => "operationName",
        extensions => extensions
    );
END
$$;

-- The API roles reach public, and get every privilege on what postgres creates there:
-- row level security, not grants, is what guards a Supabase table.
GRANT USAGE ON SCHEMA public, extensions TO postgres, anon, authenticated, service_role;
GRANT USAGE ON SCHEMA auth, storage TO postgres, anon, authenticated, service_role;
GRANT USAGE ON SCHEMA graphql, graphql_public TO postgres, anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION graphql_public.graphql(text, text, jsonb, jsonb)
    TO postgres, anon, authenticated, service_role;
GRANT USAGE ON SCHEMA vault TO postgres, service_role;
GRANT ALL ON SCHEMA auth, storage TO postgres;
ALTER DEFAULT PRIVILEGES IN SCHEMA public
    GRANT ALL ON TABLES TO postgres, anon, authenticated, service_role;
ALTER DEFAULT PRIVILEGES IN SCHEMA public
    GRANT ALL ON SEQUENCES TO postgres, anon, authenticated, service_role;
ALTER DEFAULT PRIVILEGES IN SCHEMA public
    GRANT ALL ON FUNCTIONS TO postgres, anon, authenticated, service_role;

-- auth.users: the columns of Supabase Auth's table that migrations and triggers use.
CREATE TABLE IF NOT EXISTS auth.users (
    instance_id uuid,
    id uuid NOT NULL PRIMARY KEY,
    aud varchar(255),
    role varchar(255),
    email varchar(255),
    encrypted_password varchar(255),
    email_confirmed_at timestamptz,
    invited_at timestamptz,
    confirmation_token varchar(255),
    confirmation_sent_at timestamptz,
    recovery_token varchar(255),
    recovery_sent_at timestamptz,
    email_change_token_new varchar(255),
    email_change varchar(255),
    email_change_sent_at timestamptz,
    last_sign_in_at timestamptz,
    raw_app_meta_data jsonb,
    raw_user_meta_data jsonb,
    is_super_admin boolean,
    created_at timestamptz,
    updated_at timestamptz,
    phone text UNIQUE,
    phone_confirmed_at timestamptz,
    phone_change text DEFAULT '',
    phone_change_token varchar(255) DEFAULT '',
    phone_change_sent_at timestamptz,
    confirmed_at timestamptz GENERATED ALWAYS AS (LEAST(email_confirmed_at, phone_confirmed_at)) STORED,
    email_change_token_current varchar(255) DEFAULT '',
    email_change_confirm_status smallint DEFAULT 0,
    banned_until timestamptz,
    reauthentication_token varchar(255) DEFAULT '',
    reauthentication_sent_at timestamptz,
    is_sso_user boolean NOT NULL DEFAULT false,
    deleted_at timestamptz,
    is_anonymous boolean NOT NULL DEFAULT false
);
CREATE INDEX IF NOT EXISTS users_email_idx ON auth.users (email);
ALTER TABLE auth.users ENABLE ROW LEVEL SECURITY;
GRANT ALL ON auth.users TO postgres, service_role;

-- The claims of the request's JWT, as PostgREST sets them: request.jwt.claims holds the
-- whole JSON object; older versions set one request.jwt.claim.<name> per claim.
CREATE OR REPLACE FUNCTION auth.jwt() RETURNS jsonb
LANGUAGE sql STABLE
AS $$
    SELECT coalesce(
        nullif(current_setting('request.jwt.claim', true), ''),
        nullif(current_setting('request.jwt.claims', true), '')
    )::jsonb
$$;

CREATE OR REPLACE FUNCTION auth.uid() RETURNS uuid
LANGUAGE sql STABLE
AS $$
    SELECT coalesce(
        nullif(current_setting('request.jwt.claim.sub', true), ''),
        nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub'
    )::uuid
$$;

CREATE OR REPLACE FUNCTION auth.role() RETURNS text
LANGUAGE sql STABLE
AS $$
    SELECT coalesce(
        nullif(current_setting('request.jwt.claim.role', true), ''),
        nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role'
    )::text
$$;

CREATE OR REPLACE FUNCTION auth.email() RETURNS text
LANGUAGE sql STABLE
AS $$
    SELECT coalesce(
        nullif(current_setting('request.jwt.claim.email', true), ''),
        nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'email'
    )::text
$$;

GRANT EXECUTE ON FUNCTION auth.jwt(), auth.uid(), auth.role(), auth.email()
    TO postgres, anon, authenticated, service_role;

-- Storage: buckets and the objects in them, guarded by row level security as on Supabase.
CREATE TABLE IF NOT EXISTS storage.buckets (
    id text NOT NULL PRIMARY KEY,
    name text NOT NULL,
    owner uuid,
    owner_id text,
    created_at timestamptz DEFAULT now(),
    updated_at timestamptz DEFAULT now(),
    public boolean DEFAULT false,
    avif_autodetection boolean DEFAULT false,
    file_size_limit bigint,
    allowed_mime_types text[]
);
CREATE UNIQUE INDEX IF NOT EXISTS bname ON storage.buckets (name);

CREATE TABLE IF NOT EXISTS storage.objects (
    id uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
    bucket_id text REFERENCES storage.buckets (id),
    name text,
    owner uuid,
    owner_id text,
    created_at timestamptz DEFAULT now(),
    updated_at timestamptz DEFAULT now(),
    last_accessed_at timestamptz DEFAULT now(),
    metadata jsonb,
    path_tokens text[] GENERATED ALWAYS AS (string_to_array(name, '/')) STORED,
    version text,
    user_metadata jsonb
);
CREATE UNIQUE INDEX IF NOT EXISTS bucketid_objname ON storage.objects (bucket_id, name);
ALTER TABLE storage.buckets ENABLE ROW LEVEL SECURITY;
ALTER TABLE storage.objects ENABLE ROW LEVEL SECURITY;
GRANT ALL ON storage.buckets, storage.objects TO postgres, anon, authenticated, service_role;

-- Path helpers that storage policies use, e.g. (storage.foldername(name))[1] = auth.uid()::text.
CREATE OR REPLACE FUNCTION storage.foldername(name text) RETURNS text[]
LANGUAGE sql IMMUTABLE
AS $$
    SELECT (parts)[1:cardinality(parts) - 1] FROM string_to_array(name, '/') AS parts
$$;

CREATE OR REPLACE FUNCTION storage.filename(name text) RETURNS text
LANGUAGE sql IMMUTABLE
AS $$
    SELECT parts[cardinality(parts)] FROM string_to_array(name, '/') AS parts
$$;

CREATE OR REPLACE FUNCTION storage.extension(name text) RETURNS text
LANGUAGE sql IMMUTABLE
AS $$
    SELECT CASE WHEN position('.' IN file) > 0 THEN reverse(split_part(reverse(file), '.', 1)) END
    FROM storage.filename(name) AS file
$$;

GRANT EXECUTE ON FUNCTION storage.foldername(text), storage.filename(text), storage.extension(text)
    TO postgres, anon, authenticated, service_role;

-- Realtime: migrations add their tables with ALTER PUBLICATION supabase_realtime ADD TABLE.
DO $shim$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_publication WHERE pubname = 'supabase_realtime') THEN
        CREATE PUBLICATION supabase_realtime;
    END IF;
END
$shim$;
