-- pgcrypto 1.3, emulated in SQL by sync-schema for its throwaway database (see the README,
-- "Supabase shim"). Same functions and signatures as the real extension:
-- * digest(), hmac(), gen_random_uuid(): exact, over PostgreSQL's md5() and sha224()..sha512()
--   and a SQL SHA-1;
-- * gen_random_bytes(): bytes hashed from gen_random_uuid()'s strong randomness;
-- * gen_salt() / crypt(): the salt formats of bf, md5, xdes and des, and a hash that verifies
--   (crypt(password, stored) = stored), but is not the real algorithm's: never use it outside
--   this throwaway database;
-- * encryption, PGP and armor functions exist, so migrations that name them apply, and raise
--   feature_not_supported when called.

\echo Use "CREATE EXTENSION pgcrypto" to load this file. \quit

-- SHA-1 (RFC 3174), which PostgreSQL has no built-in for; digest() and hmac() use it.
-- Words are bigints masked to 32 bits, since PostgreSQL has no unsigned integers.
CREATE FUNCTION @extschema@.pgcrypto_emulation_sha1(data bytea) RETURNS bytea
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
AS $$
DECLARE
    mask CONSTANT bigint := 4294967295;
    h bigint[] := ARRAY[1732584193, 4023233417, 2562383102, 271733878, 3285377520];
    msg bytea := data || '\x80'::bytea;
    w bigint[];
    a bigint; b bigint; c bigint; d bigint; e bigint; f bigint; k bigint; t bigint;
    base int;
BEGIN
    msg := msg || ('\x' || repeat('00', (119 - length(data) % 64) % 64))::bytea
        || int8send(length(data)::bigint * 8);
    FOR chunk IN 0 .. length(msg) / 64 - 1 LOOP
        base := chunk * 64;
        FOR i IN 0 .. 15 LOOP
            w[i] := (get_byte(msg, base + 4 * i)::bigint << 24)
                | (get_byte(msg, base + 4 * i + 1) << 16)
                | (get_byte(msg, base + 4 * i + 2) << 8)
                | get_byte(msg, base + 4 * i + 3);
        END LOOP;
        FOR i IN 16 .. 79 LOOP
            t := w[i - 3] # w[i - 8] # w[i - 14] # w[i - 16];
            w[i] := ((t << 1) | (t >> 31)) & mask;
        END LOOP;
        a := h[1]; b := h[2]; c := h[3]; d := h[4]; e := h[5];
        FOR i IN 0 .. 79 LOOP
            IF i < 20 THEN
                f := (b & c) | ((~b) & d); k := 1518500249;
            ELSIF i < 40 THEN
                f := b # c # d; k := 1859775393;
            ELSIF i < 60 THEN
                f := (b & c) | (b & d) | (c & d); k := 2400959708;
            ELSE
                f := b # c # d; k := 3395469782;
            END IF;
            t := ((((a << 5) | (a >> 27)) & mask) + f + e + k + w[i]) & mask;
            e := d; d := c; c := ((b << 30) | (b >> 2)) & mask; b := a; a := t;
        END LOOP;
        h[1] := (h[1] + a) & mask; h[2] := (h[2] + b) & mask; h[3] := (h[3] + c) & mask;
        h[4] := (h[4] + d) & mask; h[5] := (h[5] + e) & mask;
    END LOOP;
    RETURN substr(int8send(h[1]), 5) || substr(int8send(h[2]), 5) || substr(int8send(h[3]), 5)
        || substr(int8send(h[4]), 5) || substr(int8send(h[5]), 5);
END
$$;

CREATE FUNCTION @extschema@.digest(bytea, text) RETURNS bytea
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
AS $$
BEGIN
    CASE lower($2)
        WHEN 'md5' THEN RETURN decode(md5($1), 'hex');
        WHEN 'sha1' THEN RETURN @extschema@.pgcrypto_emulation_sha1($1);
        WHEN 'sha224' THEN RETURN sha224($1);
        WHEN 'sha256' THEN RETURN sha256($1);
        WHEN 'sha384' THEN RETURN sha384($1);
        WHEN 'sha512' THEN RETURN sha512($1);
        ELSE RAISE EXCEPTION 'Cannot use "%": No such hash algorithm', $2 USING ERRCODE = '39000';
    END CASE;
END
$$;

CREATE FUNCTION @extschema@.digest(text, text) RETURNS bytea
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$ SELECT @extschema@.digest(convert_to($1, 'UTF8'), $2) $$;

-- RFC 2104: H((K xor opad) || H((K xor ipad) || message)), K padded to the hash's block size.
CREATE FUNCTION @extschema@.hmac(bytea, bytea, text) RETURNS bytea
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
AS $$
DECLARE
    block int := CASE WHEN lower($3) IN ('sha384', 'sha512') THEN 128 ELSE 64 END;
    key bytea := $2;
    inner_key bytea;
    outer_key bytea;
BEGIN
    IF length(key) > block THEN
        key := @extschema@.digest(key, $3);
    END IF;
    key := key || ('\x' || repeat('00', block - length(key)))::bytea;
    inner_key := key;
    outer_key := key;
    FOR i IN 0 .. block - 1 LOOP
        inner_key := set_byte(inner_key, i, get_byte(key, i) # 54);
        outer_key := set_byte(outer_key, i, get_byte(key, i) # 92);
    END LOOP;
    RETURN @extschema@.digest(outer_key || @extschema@.digest(inner_key || $1, $3), $3);
END
$$;

CREATE FUNCTION @extschema@.hmac(text, text, text) RETURNS bytea
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$ SELECT @extschema@.hmac(convert_to($1, 'UTF8'), convert_to($2, 'UTF8'), $3) $$;

CREATE FUNCTION @extschema@.gen_random_uuid() RETURNS uuid
LANGUAGE sql VOLATILE PARALLEL SAFE
AS $$ SELECT pg_catalog.gen_random_uuid() $$;

-- Each gen_random_uuid() carries 122 bits from the server's strong random source; sha256 of
-- two of them gives 32 evenly mixed bytes.
CREATE FUNCTION @extschema@.gen_random_bytes(int4) RETURNS bytea
LANGUAGE plpgsql VOLATILE STRICT PARALLEL SAFE
AS $$
DECLARE
    result bytea := '\x';
BEGIN
    IF $1 < 1 OR $1 > 1024 THEN
        RAISE EXCEPTION 'Length not in range' USING ERRCODE = '22023';
    END IF;
    WHILE length(result) < $1 LOOP
        result := result || sha256(uuid_send(pg_catalog.gen_random_uuid())
            || uuid_send(pg_catalog.gen_random_uuid()));
    END LOOP;
    RETURN substr(result, 1, $1);
END
$$;

-- n characters of crypt()'s alphabet, one per byte of data.
CREATE FUNCTION @extschema@.pgcrypto_emulation_chars(data bytea, n int) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
    SELECT coalesce(string_agg(substr(
        './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz',
        get_byte(data, i) % 64 + 1, 1), '' ORDER BY i), '')
    FROM generate_series(0, n - 1) AS i
$$;

CREATE FUNCTION @extschema@.gen_salt(text, int4) RETURNS text
LANGUAGE plpgsql VOLATILE STRICT PARALLEL SAFE
AS $$
DECLARE
    rounds int := $2;
    salt text := @extschema@.pgcrypto_emulation_chars(@extschema@.gen_random_bytes(22), 22);
BEGIN
    CASE lower($1)
        WHEN 'bf' THEN
            rounds := CASE WHEN rounds = 0 THEN 6 ELSE rounds END;
            IF rounds < 4 OR rounds > 31 THEN
                RAISE EXCEPTION 'gen_salt: Incorrect number of rounds' USING ERRCODE = '22023';
            END IF;
            RETURN '$2a$' || lpad(rounds::text, 2, '0') || '$' || salt;
        WHEN 'xdes' THEN
            rounds := CASE WHEN rounds = 0 THEN 725 ELSE rounds END;
            IF rounds < 1 OR rounds > 16777215 OR rounds % 2 = 0 THEN
                RAISE EXCEPTION 'gen_salt: Incorrect number of rounds' USING ERRCODE = '22023';
            END IF;
            -- The count as four 6-bit characters, least significant first.
            RETURN '_' || @extschema@.pgcrypto_emulation_chars(
                set_byte(set_byte(set_byte(set_byte('\x00000000'::bytea,
                    0, rounds & 63), 1, (rounds >> 6) & 63), 2, (rounds >> 12) & 63),
                    3, (rounds >> 18) & 63), 4) || substr(salt, 1, 4);
        WHEN 'md5' THEN
            IF rounds <> 0 THEN
                RAISE EXCEPTION 'gen_salt: Incorrect number of rounds' USING ERRCODE = '22023';
            END IF;
            RETURN '$1$' || substr(salt, 1, 8);
        WHEN 'des' THEN
            IF rounds <> 0 THEN
                RAISE EXCEPTION 'gen_salt: Incorrect number of rounds' USING ERRCODE = '22023';
            END IF;
            RETURN substr(salt, 1, 2);
        ELSE
            RAISE EXCEPTION 'gen_salt: Unknown salt algorithm' USING ERRCODE = '22023';
    END CASE;
END
$$;

CREATE FUNCTION @extschema@.gen_salt(text) RETURNS text
LANGUAGE sql VOLATILE STRICT PARALLEL SAFE
AS $$ SELECT @extschema@.gen_salt($1, 0) $$;

-- The result starts with the salt's settings, as the real crypt()'s does, so that
-- crypt(password, stored_hash) = stored_hash verifies a password.
CREATE FUNCTION @extschema@.crypt(text, text) RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
AS $$
DECLARE
    settings text;
    hash_length int;
BEGIN
    IF $2 ~ '^\$2[abxy]\$[0-9]{2}\$[./0-9A-Za-z]{22}' THEN
        settings := substr($2, 1, 29);
        hash_length := 31;
    ELSIF $2 ~ '^\$1\$' THEN
        settings := '$1$' || substring($2 FROM '^\$1\$([^$]{0,8})') || '$';
        hash_length := 22;
    ELSIF $2 ~ '^_[./0-9A-Za-z]{8}' THEN
        settings := substr($2, 1, 9);
        hash_length := 11;
    ELSIF $2 ~ '^[./0-9A-Za-z]{2}' THEN
        settings := substr($2, 1, 2);
        hash_length := 11;
    ELSE
        RAISE EXCEPTION 'invalid salt' USING ERRCODE = '22023';
    END IF;
    RETURN settings || @extschema@.pgcrypto_emulation_chars(
        sha512(convert_to(settings || $1, 'UTF8')), hash_length);
END
$$;

-- Not emulated: these exist so that migrations naming them apply.

CREATE FUNCTION @extschema@.encrypt(bytea, bytea, text) RETURNS bytea
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
AS $$ BEGIN RAISE EXCEPTION 'encrypt() is not emulated by sync-schema' USING ERRCODE = '0A000'; END $$;

CREATE FUNCTION @extschema@.decrypt(bytea, bytea, text) RETURNS bytea
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
AS $$ BEGIN RAISE EXCEPTION 'decrypt() is not emulated by sync-schema' USING ERRCODE = '0A000'; END $$;

CREATE FUNCTION @extschema@.encrypt_iv(bytea, bytea, bytea, text) RETURNS bytea
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
AS $$ BEGIN RAISE EXCEPTION 'encrypt_iv() is not emulated by sync-schema' USING ERRCODE = '0A000'; END $$;

CREATE FUNCTION @extschema@.decrypt_iv(bytea, bytea, bytea, text) RETURNS bytea
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
AS $$ BEGIN RAISE EXCEPTION 'decrypt_iv() is not emulated by sync-schema' USING ERRCODE = '0A000'; END $$;

CREATE FUNCTION @extschema@.pgp_sym_encrypt(text, text) RETURNS bytea
LANGUAGE plpgsql VOLATILE STRICT PARALLEL SAFE
AS $$ BEGIN RAISE EXCEPTION 'pgp_sym_encrypt() is not emulated by sync-schema' USING ERRCODE = '0A000'; END $$;

CREATE FUNCTION @extschema@.pgp_sym_encrypt_bytea(bytea, text) RETURNS bytea
LANGUAGE plpgsql VOLATILE STRICT PARALLEL SAFE
AS $$ BEGIN RAISE EXCEPTION 'pgp_sym_encrypt_bytea() is not emulated by sync-schema' USING ERRCODE = '0A000'; END $$;

CREATE FUNCTION @extschema@.pgp_sym_encrypt(text, text, text) RETURNS bytea
LANGUAGE plpgsql VOLATILE STRICT PARALLEL SAFE
AS $$ BEGIN RAISE EXCEPTION 'pgp_sym_encrypt() is not emulated by sync-schema' USING ERRCODE = '0A000'; END $$;

CREATE FUNCTION @extschema@.pgp_sym_encrypt_bytea(bytea, text, text) RETURNS bytea
LANGUAGE plpgsql VOLATILE STRICT PARALLEL SAFE
AS $$ BEGIN RAISE EXCEPTION 'pgp_sym_encrypt_bytea() is not emulated by sync-schema' USING ERRCODE = '0A000'; END $$;

CREATE FUNCTION @extschema@.pgp_sym_decrypt(bytea, text) RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
AS $$ BEGIN RAISE EXCEPTION 'pgp_sym_decrypt() is not emulated by sync-schema' USING ERRCODE = '0A000'; END $$;

CREATE FUNCTION @extschema@.pgp_sym_decrypt_bytea(bytea, text) RETURNS bytea
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
AS $$ BEGIN RAISE EXCEPTION 'pgp_sym_decrypt_bytea() is not emulated by sync-schema' USING ERRCODE = '0A000'; END $$;

CREATE FUNCTION @extschema@.pgp_sym_decrypt(bytea, text, text) RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
AS $$ BEGIN RAISE EXCEPTION 'pgp_sym_decrypt() is not emulated by sync-schema' USING ERRCODE = '0A000'; END $$;

CREATE FUNCTION @extschema@.pgp_sym_decrypt_bytea(bytea, text, text) RETURNS bytea
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
AS $$ BEGIN RAISE EXCEPTION 'pgp_sym_decrypt_bytea() is not emulated by sync-schema' USING ERRCODE = '0A000'; END $$;

CREATE FUNCTION @extschema@.pgp_pub_encrypt(text, bytea) RETURNS bytea
LANGUAGE plpgsql VOLATILE STRICT PARALLEL SAFE
AS $$ BEGIN RAISE EXCEPTION 'pgp_pub_encrypt() is not emulated by sync-schema' USING ERRCODE = '0A000'; END $$;

CREATE FUNCTION @extschema@.pgp_pub_encrypt_bytea(bytea, bytea) RETURNS bytea
LANGUAGE plpgsql VOLATILE STRICT PARALLEL SAFE
AS $$ BEGIN RAISE EXCEPTION 'pgp_pub_encrypt_bytea() is not emulated by sync-schema' USING ERRCODE = '0A000'; END $$;

CREATE FUNCTION @extschema@.pgp_pub_encrypt(text, bytea, text) RETURNS bytea
LANGUAGE plpgsql VOLATILE STRICT PARALLEL SAFE
AS $$ BEGIN RAISE EXCEPTION 'pgp_pub_encrypt() is not emulated by sync-schema' USING ERRCODE = '0A000'; END $$;

CREATE FUNCTION @extschema@.pgp_pub_encrypt_bytea(bytea, bytea, text) RETURNS bytea
LANGUAGE plpgsql VOLATILE STRICT PARALLEL SAFE
AS $$ BEGIN RAISE EXCEPTION 'pgp_pub_encrypt_bytea() is not emulated by sync-schema' USING ERRCODE = '0A000'; END $$;

CREATE FUNCTION @extschema@.pgp_pub_decrypt(bytea, bytea) RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
AS $$ BEGIN RAISE EXCEPTION 'pgp_pub_decrypt() is not emulated by sync-schema' USING ERRCODE = '0A000'; END $$;

CREATE FUNCTION @extschema@.pgp_pub_decrypt_bytea(bytea, bytea) RETURNS bytea
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
AS $$ BEGIN RAISE EXCEPTION 'pgp_pub_decrypt_bytea() is not emulated by sync-schema' USING ERRCODE = '0A000'; END $$;

CREATE FUNCTION @extschema@.pgp_pub_decrypt(bytea, bytea, text) RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
AS $$ BEGIN RAISE EXCEPTION 'pgp_pub_decrypt() is not emulated by sync-schema' USING ERRCODE = '0A000'; END $$;

CREATE FUNCTION @extschema@.pgp_pub_decrypt_bytea(bytea, bytea, text) RETURNS bytea
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
AS $$ BEGIN RAISE EXCEPTION 'pgp_pub_decrypt_bytea() is not emulated by sync-schema' USING ERRCODE = '0A000'; END $$;

CREATE FUNCTION @extschema@.pgp_pub_decrypt(bytea, bytea, text, text) RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
AS $$ BEGIN RAISE EXCEPTION 'pgp_pub_decrypt() is not emulated by sync-schema' USING ERRCODE = '0A000'; END $$;

CREATE FUNCTION @extschema@.pgp_pub_decrypt_bytea(bytea, bytea, text, text) RETURNS bytea
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
AS $$ BEGIN RAISE EXCEPTION 'pgp_pub_decrypt_bytea() is not emulated by sync-schema' USING ERRCODE = '0A000'; END $$;

CREATE FUNCTION @extschema@.pgp_key_id(bytea) RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
AS $$ BEGIN RAISE EXCEPTION 'pgp_key_id() is not emulated by sync-schema' USING ERRCODE = '0A000'; END $$;

CREATE FUNCTION @extschema@.armor(bytea) RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
AS $$ BEGIN RAISE EXCEPTION 'armor() is not emulated by sync-schema' USING ERRCODE = '0A000'; END $$;

CREATE FUNCTION @extschema@.armor(bytea, text[], text[]) RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
AS $$ BEGIN RAISE EXCEPTION 'armor() is not emulated by sync-schema' USING ERRCODE = '0A000'; END $$;

CREATE FUNCTION @extschema@.dearmor(text) RETURNS bytea
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
AS $$ BEGIN RAISE EXCEPTION 'dearmor() is not emulated by sync-schema' USING ERRCODE = '0A000'; END $$;

CREATE FUNCTION @extschema@.pgp_armor_headers(text, key OUT text, value OUT text) RETURNS SETOF record
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
AS $$ BEGIN RAISE EXCEPTION 'pgp_armor_headers() is not emulated by sync-schema' USING ERRCODE = '0A000'; END $$;
