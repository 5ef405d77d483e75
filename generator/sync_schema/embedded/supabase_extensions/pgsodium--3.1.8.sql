-- pgsodium 3.1.8, emulated in SQL by sync-schema for its throwaway database (see the README,
-- "Supabase shim"). The key table and views that Supabase dumps and Vault refer to, and the
-- key, nonce and random-bytes helpers; the encryption functions exist with pgsodium's
-- signatures but raise an error, since no libsodium backs them here. Transparent column
-- encryption (SECURITY LABEL FOR pgsodium) needs the real extension.

\echo Use "CREATE EXTENSION pgsodium" to load this file. \quit

CREATE TYPE @extschema@.key_status AS ENUM ('default', 'valid', 'invalid', 'expired');
CREATE TYPE @extschema@.key_type AS ENUM (
    'aead-ietf', 'aead-det', 'hmacsha512', 'hmacsha256', 'auth', 'shorthash', 'generichash',
    'kdf', 'secretbox', 'secretstream', 'stream_xchacha20'
);

CREATE TABLE @extschema@.key (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    status @extschema@.key_status DEFAULT 'valid',
    created timestamptz NOT NULL DEFAULT CURRENT_TIMESTAMP,
    expires timestamptz,
    key_type @extschema@.key_type,
    key_id bigserial,
    key_context bytea DEFAULT 'pgsodium',
    name text UNIQUE,
    associated_data text DEFAULT 'associated',
    raw_key bytea,
    raw_key_nonce bytea,
    parent_key uuid REFERENCES @extschema@.key (id),
    comment text,
    user_data text
);

CREATE VIEW @extschema@.valid_key AS
SELECT id, name, status, key_type, key_id, key_context, created, expires, associated_data
FROM @extschema@.key
WHERE status IN ('valid', 'default') AND (expires IS NULL OR expires > now());

CREATE VIEW @extschema@.decrypted_key AS
SELECT id, status, created, expires, key_type, key_id, key_context, name, associated_data,
    raw_key, raw_key AS decrypted_raw_key, raw_key_nonce, parent_key, comment
FROM @extschema@.key;

CREATE FUNCTION @extschema@.create_key(
    key_type @extschema@.key_type DEFAULT 'aead-det', name text DEFAULT NULL,
    raw_key bytea DEFAULT NULL, raw_key_nonce bytea DEFAULT NULL, parent_key uuid DEFAULT NULL,
    key_context bytea DEFAULT 'pgsodium', expires timestamptz DEFAULT NULL,
    associated_data text DEFAULT ''
) RETURNS @extschema@.valid_key
LANGUAGE sql
AS $$
    WITH created AS (
        INSERT INTO @extschema@.key (key_type, name, raw_key, raw_key_nonce, parent_key,
            key_context, expires, associated_data)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
        RETURNING id
    )
    SELECT v.* FROM @extschema@.valid_key v JOIN created USING (id)
$$;

CREATE FUNCTION @extschema@.randombytes_buf(size integer) RETURNS bytea
LANGUAGE sql VOLATILE STRICT
AS $$
    SELECT substring(string_agg(uuid_send(gen_random_uuid()), ''::bytea) FROM 1 FOR size)
    FROM generate_series(0, size / 16)
$$;

CREATE FUNCTION @extschema@.crypto_aead_det_noncegen() RETURNS bytea
LANGUAGE sql VOLATILE
AS $$ SELECT @extschema@.randombytes_buf(16) $$;

CREATE FUNCTION @extschema@.crypto_secretbox_noncegen() RETURNS bytea
LANGUAGE sql VOLATILE
AS $$ SELECT @extschema@.randombytes_buf(24) $$;

CREATE FUNCTION @extschema@.crypto_secretbox_keygen() RETURNS bytea
LANGUAGE sql VOLATILE
AS $$ SELECT @extschema@.randombytes_buf(32) $$;

CREATE FUNCTION @extschema@.pgsodium_emulation_unsupported(name text) RETURNS bytea
LANGUAGE plpgsql
AS $$
BEGIN
    RAISE EXCEPTION '%() is not emulated: sync-schema''s pgsodium stand-in has no cryptography',
        name USING errcode = '0A000';
END
$$;

CREATE FUNCTION @extschema@.crypto_aead_det_encrypt(
    message bytea, additional bytea, key_uuid uuid, nonce bytea DEFAULT NULL
) RETURNS bytea
LANGUAGE sql
AS $$ SELECT @extschema@.pgsodium_emulation_unsupported('crypto_aead_det_encrypt') $$;

CREATE FUNCTION @extschema@.crypto_aead_det_decrypt(
    message bytea, additional bytea, key_uuid uuid, nonce bytea DEFAULT NULL
) RETURNS bytea
LANGUAGE sql
AS $$ SELECT @extschema@.pgsodium_emulation_unsupported('crypto_aead_det_decrypt') $$;

CREATE FUNCTION @extschema@.crypto_secretbox(message bytea, nonce bytea, key_id bigint)
RETURNS bytea
LANGUAGE sql
AS $$ SELECT @extschema@.pgsodium_emulation_unsupported('crypto_secretbox') $$;

CREATE FUNCTION @extschema@.crypto_secretbox_open(message bytea, nonce bytea, key_id bigint)
RETURNS bytea
LANGUAGE sql
AS $$ SELECT @extschema@.pgsodium_emulation_unsupported('crypto_secretbox_open') $$;
