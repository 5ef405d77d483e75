-- pg_jsonschema 0.3.3, emulated in SQL by sync-schema for its throwaway database (see the
-- README, "Supabase shim"). The database exists only to be introspected, so these functions
-- exist for CHECK constraints to name, and accept every document: the real validation happens
-- on the real database. jsonschema_is_valid() only checks that the schema is an object or a
-- boolean, as JSON Schema requires.

\echo Use "CREATE EXTENSION pg_jsonschema" to load this file. \quit

CREATE FUNCTION @extschema@.json_matches_schema(schema json, instance json) RETURNS bool
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$ SELECT true $$;

CREATE FUNCTION @extschema@.jsonb_matches_schema(schema json, instance jsonb) RETURNS bool
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$ SELECT true $$;

CREATE FUNCTION @extschema@.jsonschema_is_valid(schema json) RETURNS bool
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$ SELECT json_typeof(schema) IN ('object', 'boolean') $$;

CREATE FUNCTION @extschema@.jsonschema_validation_errors(schema json, instance json) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$ SELECT '{}'::text[] $$;
