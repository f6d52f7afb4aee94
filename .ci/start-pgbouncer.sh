#!/usr/bin/env bash
# Start Debian's PgBouncer in front of the PostgreSQL that .ci/start-postgres.sh starts, and print
# the URL that reaches that database through it.
#
#   .ci/start-pgbouncer.sh [POSTGRES_URL] [session|transaction]   (default: the URL it prints,
#                                                                   session pooling)
# PgBouncer refuses libpq startup options (`-c synchronous_commit=off`), as RDS Proxy does:
# the tests behind it check that autonn sets what it needs with SET after connecting instead.
set -euo pipefail
exec 3>&1 1>&2  # only the URL may reach stdout: the caller captures it
cd "$(dirname "$0")/.."
url=${1:-$(.ci/start-postgres.sh)}
mode=${2:-session}
port=6432
# postgresql://user:password@host:port/dbname
re='^postgresql://([^:]+):([^@]+)@([^:/]+):([0-9]+)/(.+)$'
[[ $url =~ $re ]] || { echo "start-pgbouncer: cannot read the URL $url" >&2; exit 1; }
user=${BASH_REMATCH[1]} password=${BASH_REMATCH[2]} host=${BASH_REMATCH[3]}
pgport=${BASH_REMATCH[4]} db=${BASH_REMATCH[5]}

dir=/tmp/autonn-pgbouncer
mkdir -p "$dir"
if [ -f "$dir/pgbouncer.pid" ] && kill -0 "$(cat "$dir/pgbouncer.pid")" 2>/dev/null; then
  kill "$(cat "$dir/pgbouncer.pid")"  # one started by an earlier run: restart with this config
  sleep 1
fi
cat >"$dir/pgbouncer.ini" <<INI
[databases]
$db = host=$host port=$pgport dbname=$db
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $port
unix_socket_dir =
auth_type = scram-sha-256
auth_file = $dir/userlist.txt
pool_mode = $mode
max_client_conn = 200
default_pool_size = 20
logfile = $dir/pgbouncer.log
pidfile = $dir/pgbouncer.pid
INI
printf '"%s" "%s"\n' "$user" "$password" >"$dir/userlist.txt"
chown -R postgres "$dir"  # PgBouncer will not run as root
su postgres -s /bin/sh -c "pgbouncer -d $dir/pgbouncer.ini" 3>&-
for _ in $(seq 50); do
  (exec 4<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  sleep 0.1
done
echo "postgresql://$user:$password@127.0.0.1:$port/$db" >&3
