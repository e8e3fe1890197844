# pglib.sh: a throwaway PostgreSQL cluster for one test (sourced after
# lib.sh, POSIX sh).
#
# pg_start creates a cluster under $WORK/pg, starts it on a free port of
# 127.0.0.1 and on a socket directory under $WORK, and exports PGHOST (the
# socket directory), PGPORT and PGUSER=postgres for everything the test runs,
# with the server's own binaries first in PATH. Local (socket) connections
# are trusted; host connections (127.0.0.1) need a password (scram-sha-256).
# The cluster is stopped by its postmaster's PID on exit, before lib.sh
# removes $WORK. A missing server is a failure (Bail out!), never a skip:
# scripts/setup.sh check installs it.

PG_BINDIR=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [ -z "$PG_BINDIR" ] || [ ! -x "$PG_BINDIR/postgres" ] ||
    [ ! -x "$PG_BINDIR/initdb" ] || [ ! -x "$PG_BINDIR/pg_dump" ]; then
	bail "no PostgreSQL server in /usr/lib/postgresql/*/bin (sh scripts/setup.sh check installs it)"
fi
PATH="$PG_BINDIR:$PATH"
export PATH
PG_DIR="$WORK/pg"
PG_DATA="$PG_DIR/data"
PG_SOCK="$PG_DIR/sock"
PG_PID=""
PG_PORT=""

trap 'pg_stop; cleanup_work' EXIT
# A test killed by a signal still stops its cluster (through the EXIT trap).
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

# as_pg COMMAND...: run a server command as the postgres system user when
# root (initdb and postgres refuse to run as root), else as ourselves.
as_pg() {
	if [ "$(id -u)" -eq 0 ]; then
		(cd "$PG_DIR" && setpriv --reuid=postgres --regid=postgres \
		    --clear-groups -- "$@")
	else
		(cd "$PG_DIR" && "$@")
	fi
}

# pg_free_port: a TCP port on 127.0.0.1 nothing listens on (just now).
pg_free_port() {
	python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

# pg_start: initdb and start the cluster; bail if that fails.
pg_start() {
	if [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1; then
		bail "no postgres system user (the Debian postgresql package creates it)"
	fi
	mkdir -p "$PG_DATA" "$PG_SOCK" || bail "mkdir $PG_DIR"
	chmod 700 "$PG_DATA"
	chmod 755 "$PG_DIR" "$PG_SOCK"
	if [ "$(id -u)" -eq 0 ]; then
		chown -R postgres:postgres "$PG_DIR" || bail "chown $PG_DIR"
	fi
	locale=C.UTF-8
	locale -a 2>/dev/null | grep -qix 'c\.utf-\{0,1\}8' || locale=C
	as_pg "$PG_BINDIR/initdb" -D "$PG_DATA" -U postgres --no-sync \
	    --auth-local=trust --auth-host=scram-sha-256 -E UTF8 \
	    --locale="$locale" >"$PG_DIR/initdb.log" 2>&1 ||
	    bail "initdb failed: $(tail -n 3 "$PG_DIR/initdb.log" | tr '\n' ' ')"
	tries=0
	while :; do
		tries=$((tries + 1))
		PG_PORT=$(pg_free_port) || bail "no free port (python3)"
		if as_pg "$PG_BINDIR/pg_ctl" -w -t 30 -D "$PG_DATA" \
		    -l "$PG_DATA/log" -o "-p $PG_PORT -k $PG_SOCK -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
		    start >"$PG_DIR/pg_ctl.log" 2>&1; then
			break
		fi
		# Someone may have taken the port in between: try another.
		[ "$tries" -lt 3 ] ||
		    bail "the PostgreSQL server did not start: $(tail -n 3 "$PG_DATA/log" 2>/dev/null | tr '\n' ' ')"
	done
	PG_PID=$(head -n 1 "$PG_DATA/postmaster.pid")
	PGHOST=$PG_SOCK
	PGPORT=$PG_PORT
	PGUSER=postgres
	export PGHOST PGPORT PGUSER PG_PORT PG_BINDIR
	# Nothing from the environment that would change where tools connect.
	unset PGDATABASE PGPASSWORD PGSERVICE PGSERVICEFILE PGPASSFILE PGOPTIONS
	PGPASSFILE=$WORK/no-pgpass
	export PGPASSFILE
}

# pg_stop: stop the cluster by its postmaster's PID (smart shutdown, then
# fast, then immediate, if it takes too long) and wait until it is gone.
pg_stop() {
	[ -n "$PG_PID" ] || { [ -f "$PG_DATA/postmaster.pid" ] &&
	    PG_PID=$(head -n 1 "$PG_DATA/postmaster.pid"); } || return 0
	[ -n "$PG_PID" ] || return 0
	kill -TERM "$PG_PID" 2>/dev/null || { PG_PID=""; return 0; }
	n=0
	while kill -0 "$PG_PID" 2>/dev/null; do
		n=$((n + 1))
		case $n in
		50) kill -INT "$PG_PID" 2>/dev/null ;;
		100) kill -QUIT "$PG_PID" 2>/dev/null ;;
		150) kill -KILL "$PG_PID" 2>/dev/null ;;
		200) break ;;
		esac
		sleep 0.1
	done
	PG_PID=""
}

# pg_sql_in DB SQL: run SQL (given on psql's stdin, not its argv) in DB as
# postgres; stops at the first error.
pg_sql_in() {
	printf '%s\n' "$2" | psql -X -q -v ON_ERROR_STOP=1 -d "$1" -f - >/dev/null
}

# pg_sql SQL: pg_sql_in the postgres database.
pg_sql() {
	pg_sql_in postgres "$1"
}

# pg_value DB SQL: the query's result, unaligned, without headers.
pg_value() {
	printf '%s\n' "$2" | psql -X -q -t -A -v ON_ERROR_STOP=1 -d "$1" -f -
}

# pg_role NAME PASSWORD: a login role that authenticates with PASSWORD
# (scram-sha-256 over 127.0.0.1).
pg_role() {
	pg_sql "SET password_encryption = 'scram-sha-256';
CREATE ROLE \"$1\" LOGIN PASSWORD '$2'"
}

# pg_db_exists NAME: the database NAME exists.
pg_db_exists() {
	[ "$(pg_value postgres "SELECT count(*) FROM pg_database WHERE datname = '$1'")" = 1 ]
}

# pg_plain DB: DB as a plain SQL dump, without the \restrict/\unrestrict
# lines (recent pg_dump puts a random key there on every run).
pg_plain() {
	pg_dump --format=plain --file="$PG_DIR/plain.$$" "$1" || return 1
	grep -v '^\\\(un\)\{0,1\}restrict ' "$PG_DIR/plain.$$"
	rc=$?
	rm -f "$PG_DIR/plain.$$"
	[ "$rc" -le 1 ]
}

pg_start
