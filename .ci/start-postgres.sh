#!/usr/bin/env bash
# Start a local PostgreSQL (Debian's package) with a database for the tests, and print its URL.
set -euo pipefail
version=$(ls /usr/lib/postgresql | sort -n | tail -1)
if ! pg_lsclusters -h | grep -q online; then
  pg_lsclusters -h | grep -q "^$version main" || pg_createcluster "$version" main >/dev/null
  pg_ctlcluster "$version" main start
fi
su postgres -c "psql -qtAc \"SELECT 1 FROM pg_roles WHERE rolname='autonn'\"" | grep -q 1 ||
  su postgres -c "psql -qc \"CREATE ROLE autonn LOGIN SUPERUSER PASSWORD 'autonn'\""
su postgres -c "psql -qtAc \"SELECT 1 FROM pg_database WHERE datname='autonn_test'\"" | grep -q 1 ||
  su postgres -c "createdb -O autonn autonn_test"
echo "postgresql://autonn:autonn@127.0.0.1:5432/autonn_test"
