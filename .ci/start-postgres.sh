#!/usr/bin/env bash
# Start a local PostgreSQL (Debian's package) with a database for the tests, and print its URL.
set -euo pipefail
# Only the URL may reach stdout: the caller captures it. pg_ctlcluster and psql chatter (e.g.
# "Removed stale pid file." on a machine image that was snapshotted with PostgreSQL running)
# goes to stderr.
exec 3>&1 1>&2
version=$(ls /usr/lib/postgresql | sort -n | tail -1)
if ! pg_lsclusters -h | grep -q online; then
  # A machine image snapshotted with PostgreSQL running keeps its socket lock; pg_ctl removes a
  # stale pid file itself but refuses to start over a socket lock whose owner is gone.
  for lock in /var/run/postgresql/.s.PGSQL.*.lock; do
    [ -e "$lock" ] || continue
    kill -0 "$(head -1 "$lock")" 2>/dev/null || rm -f "$lock" "${lock%.lock}"
  done
  pg_lsclusters -h | grep -q "^$version main" || pg_createcluster "$version" main >/dev/null
  pg_ctlcluster "$version" main start 3>&-   # the server must not hold the URL pipe open
fi
su postgres -c "psql -qtAc \"SELECT 1 FROM pg_roles WHERE rolname='autonn'\"" | grep -q 1 ||
  su postgres -c "psql -qc \"CREATE ROLE autonn LOGIN SUPERUSER PASSWORD 'autonn'\""
su postgres -c "psql -qtAc \"SELECT 1 FROM pg_database WHERE datname='autonn_test'\"" | grep -q 1 ||
  su postgres -c "createdb -O autonn autonn_test"
echo "postgresql://autonn:autonn@127.0.0.1:5432/autonn_test" >&3
