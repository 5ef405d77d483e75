-- uuid-ossp 1.1, emulated in SQL by sync-schema for its throwaway database (see the README,
-- "Supabase shim"). Same functions and signatures as the real extension. Differences:
-- uuid_generate_v1() uses a random multicast node instead of the host's MAC address (as
-- uuid_generate_v1mc() does); v3, v4 and v5 give exactly the values the real extension gives.

\echo Use "CREATE EXTENSION ""uuid-ossp""" to load this file. \quit

CREATE FUNCTION @extschema@.uuid_nil() RETURNS uuid
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$ SELECT '00000000-0000-0000-0000-000000000000'::uuid $$;

CREATE FUNCTION @extschema@.uuid_ns_dns() RETURNS uuid
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$ SELECT '6ba7b810-9dad-11d1-80b4-00c04fd430c8'::uuid $$;

CREATE FUNCTION @extschema@.uuid_ns_url() RETURNS uuid
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$ SELECT '6ba7b811-9dad-11d1-80b4-00c04fd430c8'::uuid $$;

CREATE FUNCTION @extschema@.uuid_ns_oid() RETURNS uuid
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$ SELECT '6ba7b812-9dad-11d1-80b4-00c04fd430c8'::uuid $$;

CREATE FUNCTION @extschema@.uuid_ns_x500() RETURNS uuid
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$ SELECT '6ba7b814-9dad-11d1-80b4-00c04fd430c8'::uuid $$;

-- SHA-1 (RFC 3174), which PostgreSQL has no built-in for; only uuid_generate_v5() uses it.
-- Words are bigints masked to 32 bits, since PostgreSQL has no unsigned integers.
CREATE FUNCTION @extschema@.uuid_ossp_emulation_sha1(data bytea) RETURNS bytea
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

-- A name-based UUID from a hash: its first 16 bytes with the version and variant bits set.
CREATE FUNCTION @extschema@.uuid_ossp_emulation_from_hash(hash bytea, version int) RETURNS uuid
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
    SELECT encode(
        set_byte(
            set_byte(substr(hash, 1, 16), 6, (get_byte(hash, 6) & 15) | (version << 4)),
            8, (get_byte(hash, 8) & 63) | 128),
        'hex')::uuid
$$;

-- Time-based: 100 ns ticks since 1582-10-15, then a random clock sequence and node taken from
-- a version 4 UUID (its variant bits are already those of version 1).
CREATE FUNCTION @extschema@.uuid_generate_v1mc() RETURNS uuid
LANGUAGE plpgsql VOLATILE STRICT PARALLEL SAFE
AS $$
DECLARE
    ticks bigint := (extract(epoch FROM clock_timestamp()) * 10000000)::bigint
        + 122192928000000000;
    random_part bytea := substr(uuid_send(gen_random_uuid()), 9);
BEGIN
    -- The multicast bit marks the node as random, never a real MAC address (RFC 4122 4.5).
    random_part := set_byte(random_part, 2, get_byte(random_part, 2) | 1);
    RETURN encode(
        substr(int8send(ticks & 4294967295), 5)
            || substr(int8send((ticks >> 32) & 65535), 7)
            || substr(int8send(((ticks >> 48) & 4095) | 4096), 7)
            || random_part,
        'hex')::uuid;
END
$$;

CREATE FUNCTION @extschema@.uuid_generate_v1() RETURNS uuid
LANGUAGE sql VOLATILE STRICT PARALLEL SAFE
AS $$ SELECT @extschema@.uuid_generate_v1mc() $$;

CREATE FUNCTION @extschema@.uuid_generate_v3(namespace uuid, name text) RETURNS uuid
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
    SELECT @extschema@.uuid_ossp_emulation_from_hash(
        decode(md5(uuid_send(namespace) || convert_to(name, 'UTF8')), 'hex'), 3)
$$;

CREATE FUNCTION @extschema@.uuid_generate_v4() RETURNS uuid
LANGUAGE sql VOLATILE STRICT PARALLEL SAFE
AS $$ SELECT gen_random_uuid() $$;

CREATE FUNCTION @extschema@.uuid_generate_v5(namespace uuid, name text) RETURNS uuid
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
    SELECT @extschema@.uuid_ossp_emulation_from_hash(
        @extschema@.uuid_ossp_emulation_sha1(uuid_send(namespace) || convert_to(name, 'UTF8')), 5)
$$;
