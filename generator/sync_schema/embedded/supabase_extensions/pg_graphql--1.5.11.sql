-- pg_graphql 1.5.11, emulated in SQL by sync-schema for its throwaway database (see the README,
-- "Supabase shim"). Migrations grant on and comment about pg_graphql's functions; nothing in
-- the throwaway database serves GraphQL, so resolve() answers every query with an error.
-- Comment directives (comment on ... is e'@graphql(...)') need nothing from the extension.

\echo Use "CREATE EXTENSION pg_graphql" to load this file. \quit

CREATE FUNCTION @extschema@.comment_directive(comment_ text) RETURNS jsonb
LANGUAGE sql IMMUTABLE
AS $$
    SELECT substring($1 FROM '@graphql\((.*)\)')::jsonb
$$;

CREATE FUNCTION @extschema@.exception(message text) RETURNS text
LANGUAGE plpgsql
AS $$
BEGIN
    RAISE EXCEPTION USING errcode = '22000', message = message;
END
$$;

CREATE FUNCTION @extschema@.get_schema_version() RETURNS integer
LANGUAGE sql STABLE
AS $$ SELECT 1 $$;

CREATE FUNCTION @extschema@.resolve(
    query text, variables jsonb DEFAULT '{}', "operationName" text DEFAULT NULL,
    extensions jsonb DEFAULT NULL
) RETURNS jsonb
LANGUAGE sql STABLE
AS $$
    SELECT jsonb_build_object(
        'data', NULL,
        'errors', jsonb_build_array(jsonb_build_object(
            'message', 'pg_graphql is emulated by sync-schema: no GraphQL in this database'
        ))
    )
$$;
