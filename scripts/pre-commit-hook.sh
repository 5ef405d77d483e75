#!/bin/sh
# git pre-commit hook: refuse the commit while schemas/ does not match the database.
# Installed by `make hooks` as .git/hooks/pre-commit; skip once with `git commit --no-verify`.
#
# Uses DATABASE_URL when set (the CLI reads it), else the embedded PostgreSQL built from the
# migrations folder. Runs .venv/bin/sync-schema when the repository has one (`make venv`),
# else the sync-schema on PATH. Exits with sync-schema's code: 1 drift, 2 error.
set -u

root=$(git rev-parse --show-toplevel) || exit 2
cd "$root" || exit 2

if [ -x .venv/bin/sync-schema ]; then
    sync_schema=.venv/bin/sync-schema
elif command -v sync-schema >/dev/null 2>&1; then
    sync_schema=sync-schema
else
    echo "pre-commit: sync-schema not found: run 'make venv' (or pip install 'sync-schema[cli]')" >&2
    exit 2
fi

"$sync_schema" check
status=$?
if [ "$status" -eq 1 ]; then
    echo "Schema drift detected! Run 'sync-schema diff' for details" >&2
elif [ "$status" -ne 0 ]; then
    echo "Schema check failed (exit $status): see the error above" >&2
fi
exit "$status"
