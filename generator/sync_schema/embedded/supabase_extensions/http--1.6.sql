-- http (pgsql-http) 1.6, emulated in SQL by sync-schema for its throwaway database (see the
-- README, "Supabase shim"). The types, and functions with the extension's signatures, so that
-- migrations defining functions over them load; the throwaway database has no network, so
-- every request raises an error. The helpers that need no network (http_header, urlencode,
-- the curl option list) work.

\echo Use "CREATE EXTENSION http" to load this file. \quit

CREATE DOMAIN @extschema@.http_method AS text;
CREATE DOMAIN @extschema@.content_type AS text
    CHECK (VALUE ~ '^\S+\/\S+');
CREATE TYPE @extschema@.http_header AS (field character varying, value character varying);
CREATE TYPE @extschema@.http_response AS (
    status integer, content_type character varying, headers @extschema@.http_header[],
    content character varying
);
CREATE TYPE @extschema@.http_request AS (
    method @extschema@.http_method, uri character varying,
    headers @extschema@.http_header[], content_type character varying,
    content character varying
);

CREATE FUNCTION @extschema@.http(request @extschema@.http_request)
RETURNS @extschema@.http_response
LANGUAGE plpgsql
AS $$
BEGIN
    RAISE EXCEPTION 'http % % is not sent: sync-schema''s http stand-in has no network',
        request.method, request.uri USING errcode = '0A000';
END
$$;

CREATE FUNCTION @extschema@.http_get(uri character varying) RETURNS @extschema@.http_response
LANGUAGE sql
AS $$ SELECT @extschema@.http(ROW('GET', $1, NULL, NULL, NULL)::@extschema@.http_request) $$;

CREATE FUNCTION @extschema@.http_get(uri character varying, data jsonb)
RETURNS @extschema@.http_response
LANGUAGE sql
AS $$ SELECT @extschema@.http(ROW('GET', $1, NULL, NULL, NULL)::@extschema@.http_request) $$;

CREATE FUNCTION @extschema@.http_post(
    uri character varying, content character varying, content_type character varying
) RETURNS @extschema@.http_response
LANGUAGE sql
AS $$ SELECT @extschema@.http(ROW('POST', $1, NULL, $3, $2)::@extschema@.http_request) $$;

CREATE FUNCTION @extschema@.http_post(uri character varying, data jsonb)
RETURNS @extschema@.http_response
LANGUAGE sql
AS $$
    SELECT @extschema@.http(
        ROW('POST', $1, NULL, 'application/x-www-form-urlencoded', $2::text)::@extschema@.http_request
    )
$$;

CREATE FUNCTION @extschema@.http_put(
    uri character varying, content character varying, content_type character varying
) RETURNS @extschema@.http_response
LANGUAGE sql
AS $$ SELECT @extschema@.http(ROW('PUT', $1, NULL, $3, $2)::@extschema@.http_request) $$;

CREATE FUNCTION @extschema@.http_patch(
    uri character varying, content character varying, content_type character varying
) RETURNS @extschema@.http_response
LANGUAGE sql
AS $$ SELECT @extschema@.http(ROW('PATCH', $1, NULL, $3, $2)::@extschema@.http_request) $$;

CREATE FUNCTION @extschema@.http_delete(uri character varying)
RETURNS @extschema@.http_response
LANGUAGE sql
AS $$ SELECT @extschema@.http(ROW('DELETE', $1, NULL, NULL, NULL)::@extschema@.http_request) $$;

CREATE FUNCTION @extschema@.http_delete(
    uri character varying, content character varying, content_type character varying
) RETURNS @extschema@.http_response
LANGUAGE sql
AS $$ SELECT @extschema@.http(ROW('DELETE', $1, NULL, $3, $2)::@extschema@.http_request) $$;

CREATE FUNCTION @extschema@.http_head(uri character varying) RETURNS @extschema@.http_response
LANGUAGE sql
AS $$ SELECT @extschema@.http(ROW('HEAD', $1, NULL, NULL, NULL)::@extschema@.http_request) $$;

CREATE FUNCTION @extschema@.http_header(field character varying, value character varying)
RETURNS @extschema@.http_header
LANGUAGE sql IMMUTABLE
AS $$ SELECT ROW($1, $2)::@extschema@.http_header $$;

-- RFC 3986: everything but unreserved characters is percent-encoded, byte by byte.
CREATE FUNCTION @extschema@.urlencode(string character varying) RETURNS text
LANGUAGE sql IMMUTABLE STRICT
AS $$
    SELECT coalesce(string_agg(
        CASE WHEN chr(b) ~ '^[A-Za-z0-9._~-]$' THEN chr(b) ELSE '%' || upper(lpad(to_hex(b), 2, '0')) END,
        '' ORDER BY i
    ), '')
    FROM (
        SELECT i, get_byte(convert_to($1, 'UTF8'), i) AS b
        FROM generate_series(0, octet_length(convert_to($1, 'UTF8')) - 1) AS i
    ) bytes
$$;

CREATE FUNCTION @extschema@.urlencode(data jsonb) RETURNS text
LANGUAGE sql IMMUTABLE STRICT
AS $$
    SELECT coalesce(string_agg(
        @extschema@.urlencode(key) || '=' || @extschema@.urlencode(value), '&' ORDER BY key
    ), '')
    FROM jsonb_each_text($1)
$$;

CREATE FUNCTION @extschema@.http_set_curlopt(curlopt character varying, value character varying)
RETURNS boolean
LANGUAGE sql
AS $$ SELECT true $$;

CREATE FUNCTION @extschema@.http_reset_curlopt() RETURNS boolean
LANGUAGE sql
AS $$ SELECT true $$;

CREATE FUNCTION @extschema@.http_list_curlopt() RETURNS TABLE (curlopt text, value text)
LANGUAGE sql
AS $$ SELECT NULL::text, NULL::text WHERE false $$;

CREATE FUNCTION @extschema@.bytea_to_text(data bytea) RETURNS text
LANGUAGE sql IMMUTABLE STRICT
AS $$ SELECT convert_from($1, 'UTF8') $$;

CREATE FUNCTION @extschema@.text_to_bytea(data text) RETURNS bytea
LANGUAGE sql IMMUTABLE STRICT
AS $$ SELECT convert_to($1, 'UTF8') $$;
