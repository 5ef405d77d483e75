-- pg_cron 1.6, emulated in SQL by sync-schema for its throwaway database (see the README,
-- "Supabase shim"). Migrations schedule and unschedule jobs; here the jobs are only recorded
-- in cron.job, as pg_cron records them, and never run.

\echo Use "CREATE EXTENSION pg_cron" to load this file. \quit

CREATE SCHEMA cron;

CREATE TABLE cron.job (
    jobid bigserial PRIMARY KEY,
    schedule text NOT NULL,
    command text NOT NULL,
    nodename text NOT NULL DEFAULT 'localhost',
    nodeport int NOT NULL DEFAULT 5432,
    database text NOT NULL DEFAULT current_database(),
    username text NOT NULL DEFAULT current_user,
    active boolean NOT NULL DEFAULT true,
    jobname text,
    CONSTRAINT jobname_username_uniq UNIQUE (jobname, username)
);

CREATE TABLE cron.job_run_details (
    jobid bigint,
    runid bigserial PRIMARY KEY,
    job_pid int,
    database text,
    username text,
    command text,
    status text,
    return_message text,
    start_time timestamptz,
    end_time timestamptz
);

CREATE FUNCTION cron.schedule(schedule text, command text) RETURNS bigint
LANGUAGE sql
AS $$
    INSERT INTO cron.job (schedule, command) VALUES ($1, $2) RETURNING jobid
$$;

-- A named job replaces the caller's job of that name, as in pg_cron.
CREATE FUNCTION cron.schedule(job_name text, schedule text, command text) RETURNS bigint
LANGUAGE sql
AS $$
    INSERT INTO cron.job (jobname, schedule, command) VALUES ($1, $2, $3)
    ON CONFLICT (jobname, username)
        DO UPDATE SET schedule = excluded.schedule, command = excluded.command
    RETURNING jobid
$$;

CREATE FUNCTION cron.schedule_in_database(
    job_name text, schedule text, command text, database text,
    username text DEFAULT NULL, active boolean DEFAULT true
) RETURNS bigint
LANGUAGE sql
AS $$
    INSERT INTO cron.job (jobname, schedule, command, database, username, active)
    VALUES ($1, $2, $3, $4, coalesce($5, current_user), $6)
    ON CONFLICT (jobname, username)
        DO UPDATE SET schedule = excluded.schedule, command = excluded.command,
            database = excluded.database, active = excluded.active
    RETURNING jobid
$$;

CREATE FUNCTION cron.unschedule(job_id bigint) RETURNS boolean
LANGUAGE plpgsql
AS $$
BEGIN
    DELETE FROM cron.job WHERE jobid = job_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'could not find valid entry for job %', job_id;
    END IF;
    RETURN true;
END
$$;

CREATE FUNCTION cron.unschedule(job_name text) RETURNS boolean
LANGUAGE plpgsql
AS $$
BEGIN
    DELETE FROM cron.job WHERE jobname = job_name AND username = current_user;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'could not find valid entry for job ''%''', job_name;
    END IF;
    RETURN true;
END
$$;

CREATE FUNCTION cron.alter_job(
    job_id bigint, schedule text DEFAULT NULL, command text DEFAULT NULL,
    database text DEFAULT NULL, username text DEFAULT NULL, active boolean DEFAULT NULL
) RETURNS void
LANGUAGE sql
AS $$
    UPDATE cron.job SET
        schedule = coalesce($2, job.schedule),
        command = coalesce($3, job.command),
        database = coalesce($4, job.database),
        username = coalesce($5, job.username),
        active = coalesce($6, job.active)
    WHERE jobid = $1
$$;
