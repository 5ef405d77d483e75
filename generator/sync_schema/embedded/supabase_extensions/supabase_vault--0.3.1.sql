-- supabase_vault 0.3.1, emulated in SQL by sync-schema for its throwaway database (see the
-- README, "Supabase shim"). The table, view and functions a project's migrations use, without
-- the encryption: the throwaway database is deleted within seconds and only introspected.

\echo Use "CREATE EXTENSION supabase_vault" to load this file. \quit

CREATE TABLE @extschema@.secrets (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name text,
    description text NOT NULL DEFAULT '',
    secret text NOT NULL,
    key_id uuid,
    nonce bytea,
    created_at timestamptz NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at timestamptz NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE UNIQUE INDEX secrets_name_idx ON @extschema@.secrets (name) WHERE name IS NOT NULL;

CREATE VIEW @extschema@.decrypted_secrets AS
SELECT id, name, description, secret, secret AS decrypted_secret, key_id, nonce, created_at,
    updated_at
FROM @extschema@.secrets;

CREATE FUNCTION @extschema@.create_secret(
    new_secret text, new_name text DEFAULT NULL, new_description text DEFAULT '',
    new_key_id uuid DEFAULT NULL
) RETURNS uuid
LANGUAGE sql SECURITY DEFINER
SET search_path = ''
AS $$
    INSERT INTO @extschema@.secrets (secret, name, description, key_id)
    VALUES (new_secret, new_name, new_description, new_key_id)
    RETURNING id
$$;

CREATE FUNCTION @extschema@.update_secret(
    secret_id uuid, new_secret text DEFAULT NULL, new_name text DEFAULT NULL,
    new_description text DEFAULT NULL, new_key_id uuid DEFAULT NULL
) RETURNS void
LANGUAGE sql SECURITY DEFINER
SET search_path = ''
AS $$
    UPDATE @extschema@.secrets SET
        secret = coalesce(new_secret, secret),
        name = coalesce(new_name, name),
        description = coalesce(new_description, description),
        key_id = coalesce(new_key_id, key_id),
        updated_at = CURRENT_TIMESTAMP
    WHERE id = secret_id
$$;
