-- pgjwt 0.2.0, emulated in SQL by sync-schema for its throwaway database (see the README,
-- "Supabase shim"). Written for sync-schema, not pgjwt's code: HMAC-SHA-2 (RFC 2104) over
-- PostgreSQL's sha256()/sha384()/sha512(), so it needs no pgcrypto; tokens are RFC 7519 JWTs.

\echo Use "CREATE EXTENSION pgjwt" to load this file. \quit

CREATE FUNCTION @extschema@.url_encode(data bytea) RETURNS text
LANGUAGE sql IMMUTABLE
AS $$
    SELECT translate(rtrim(replace(encode($1, 'base64'), E'\n', ''), '='), '+/', '-_')
$$;

CREATE FUNCTION @extschema@.url_decode(data text) RETURNS bytea
LANGUAGE sql IMMUTABLE
AS $$
    SELECT decode(
        translate($1, '-_', '+/') || repeat('=', (4 - length($1) % 4) % 4), 'base64'
    )
$$;

CREATE FUNCTION @extschema@.pgjwt_emulation_hmac(message bytea, key bytea, algorithm text)
RETURNS bytea
LANGUAGE plpgsql IMMUTABLE STRICT
AS $$
DECLARE
    block int := CASE WHEN algorithm = 'sha256' THEN 64 ELSE 128 END;
    padded bytea;
    inner_key bytea;
    outer_key bytea;
    inner_hash bytea;
BEGIN
    IF algorithm NOT IN ('sha256', 'sha384', 'sha512') THEN
        RAISE EXCEPTION 'Cannot use "%": unsupported algorithm', algorithm
            USING errcode = '22023';
    END IF;
    padded := key;
    IF length(padded) > block THEN
        padded := CASE algorithm
            WHEN 'sha256' THEN sha256(padded)
            WHEN 'sha384' THEN sha384(padded)
            ELSE sha512(padded) END;
    END IF;
    padded := padded || ('\x' || repeat('00', block - length(padded)))::bytea;
    inner_key := padded;
    outer_key := padded;
    FOR i IN 0 .. block - 1 LOOP
        inner_key := set_byte(inner_key, i, get_byte(padded, i) # 54);
        outer_key := set_byte(outer_key, i, get_byte(padded, i) # 92);
    END LOOP;
    inner_hash := CASE algorithm
        WHEN 'sha256' THEN sha256(inner_key || message)
        WHEN 'sha384' THEN sha384(inner_key || message)
        ELSE sha512(inner_key || message) END;
    RETURN CASE algorithm
        WHEN 'sha256' THEN sha256(outer_key || inner_hash)
        WHEN 'sha384' THEN sha384(outer_key || inner_hash)
        ELSE sha512(outer_key || inner_hash) END;
END
$$;

CREATE FUNCTION @extschema@.algorithm_sign(signables text, secret text, algorithm text)
RETURNS text
LANGUAGE sql IMMUTABLE
AS $$
    SELECT @extschema@.url_encode(@extschema@.pgjwt_emulation_hmac(
        convert_to($1, 'UTF8'),
        convert_to($2, 'UTF8'),
        CASE $3 WHEN 'HS256' THEN 'sha256' WHEN 'HS384' THEN 'sha384' WHEN 'HS512' THEN 'sha512'
            ELSE $3 END
    ))
$$;

CREATE FUNCTION @extschema@.sign(payload json, secret text, algorithm text DEFAULT 'HS256')
RETURNS text
LANGUAGE sql IMMUTABLE
AS $$
    WITH signables AS (
        SELECT @extschema@.url_encode(convert_to(
                '{"alg":"' || algorithm || '","typ":"JWT"}', 'UTF8'))
            || '.' || @extschema@.url_encode(convert_to(payload::text, 'UTF8')) AS data
    )
    SELECT data || '.' || @extschema@.algorithm_sign(data, secret, algorithm) FROM signables
$$;

CREATE FUNCTION @extschema@.try_cast_double(inp text) RETURNS double precision
LANGUAGE plpgsql IMMUTABLE
AS $$
BEGIN
    RETURN inp::double precision;
EXCEPTION WHEN others THEN
    RETURN NULL;
END
$$;

CREATE FUNCTION @extschema@.verify(token text, secret text, algorithm text DEFAULT 'HS256')
RETURNS TABLE (header json, payload json, valid boolean)
LANGUAGE sql IMMUTABLE
AS $$
    SELECT
        convert_from(@extschema@.url_decode(parts[1]), 'UTF8')::json,
        convert_from(@extschema@.url_decode(parts[2]), 'UTF8')::json,
        parts[3] = @extschema@.algorithm_sign(parts[1] || '.' || parts[2], secret, algorithm)
    FROM regexp_split_to_array(token, '\.') AS parts
$$;
