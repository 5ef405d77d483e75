-- pg_net 0.14.0, emulated in SQL by sync-schema for its throwaway database (see the README,
-- "Supabase shim"). Requests are queued in net.http_request_queue as pg_net queues them and
-- return their id; the throwaway database sends nothing, so no response ever arrives.

\echo Use "CREATE EXTENSION pg_net" to load this file. \quit

CREATE SCHEMA net;

CREATE TYPE net.request_status AS ENUM ('PENDING', 'SUCCESS', 'ERROR');
CREATE TYPE net.http_response AS (status_code integer, headers jsonb, body text);
CREATE TYPE net.http_response_result AS (
    status net.request_status, message text, response net.http_response
);

CREATE UNLOGGED TABLE net.http_request_queue (
    id bigserial NOT NULL,
    method text NOT NULL,
    url text NOT NULL,
    headers jsonb NOT NULL,
    body bytea,
    timeout_milliseconds integer NOT NULL
);

CREATE UNLOGGED TABLE net._http_response (
    id bigint,
    status_code integer,
    content_type text,
    headers jsonb,
    content text,
    timed_out boolean,
    error_msg text,
    created timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX _http_response_created_idx ON net._http_response (created);

CREATE FUNCTION net.http_get(
    url text, params jsonb DEFAULT '{}', headers jsonb DEFAULT '{}',
    timeout_milliseconds integer DEFAULT 5000
) RETURNS bigint
LANGUAGE sql
AS $$
    INSERT INTO net.http_request_queue (method, url, headers, timeout_milliseconds)
    VALUES ('GET', $1, $3, $4) RETURNING id
$$;

CREATE FUNCTION net.http_post(
    url text, body jsonb DEFAULT '{}', params jsonb DEFAULT '{}',
    headers jsonb DEFAULT '{"Content-Type": "application/json"}',
    timeout_milliseconds integer DEFAULT 5000
) RETURNS bigint
LANGUAGE sql
AS $$
    INSERT INTO net.http_request_queue (method, url, headers, body, timeout_milliseconds)
    VALUES ('POST', $1, $4, convert_to($2::text, 'UTF8'), $5) RETURNING id
$$;

CREATE FUNCTION net.http_delete(
    url text, params jsonb DEFAULT '{}', headers jsonb DEFAULT '{}',
    timeout_milliseconds integer DEFAULT 5000
) RETURNS bigint
LANGUAGE sql
AS $$
    INSERT INTO net.http_request_queue (method, url, headers, timeout_milliseconds)
    VALUES ('DELETE', $1, $3, $4) RETURNING id
$$;

-- Nothing is ever sent, so every request stays pending.
CREATE FUNCTION net._http_collect_response(request_id bigint, async boolean DEFAULT true)
RETURNS net.http_response_result
LANGUAGE sql
AS $$
    SELECT ROW('PENDING', 'request is pending', NULL)::net.http_response_result
$$;

CREATE FUNCTION net.http_collect_response(request_id bigint, async boolean DEFAULT true)
RETURNS net.http_response_result
LANGUAGE sql
AS $$ SELECT net._http_collect_response($1, $2) $$;
