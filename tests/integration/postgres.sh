#!/bin/sh
# postgres.sh: the database against a real (throwaway) PostgreSQL cluster:
# pg_dump streamed into a full set and a small delta the next night, fetch
# of the dump, restore-db at any point in time (locale, owner, refusals,
# drop on failure), and every way a dump can fail (pg_dump killed or
# failing mid-stream, too old, wrong database, server down, wrong password,
# an empty vault) fails with one line and publishes nothing. The password
# never appears on a command line or in any output.
. "$TOP_SRCDIR/tests/integration/lib.sh"
. "$TOP_SRCDIR/tests/integration/pglib.sh"

PW=S3cret-pw-42
make_key k
mkdir -p "$WORK/target"
T="file://$WORK/target"

# backup DAY [OPTION...]: back up the database app at night DAY.
backup() {
	day=$1
	shift
	env TRESOR_NOW="$(at "$day")" "$TRESOR" backup --to "$T" \
	    --key-file "$WORK/k.pub.asc" --pg-database app "$@"
}
restore_db() {
	"$TRESOR" restore-db --quiet --from "$T" --key-file "$WORK/k.sec.asc" "$@"
}
no_db() {
	[ "$(pg_value postgres "SELECT count(*) FROM pg_database WHERE datname = '$1'")" = 0 ]
}
# published: the target's manifests, one per complete set. A failed run
# leaves the list as it was (saved in $WORK/published after each success).
published() {
	ls "$WORK/target" | grep '^tresor\..*\.manifest\.gpg$'
}
nothing_published() {
	published | cmp -s - "$WORK/published"
}
# bindir NAME: $WORK/NAME, a --pg-bindir with every server tool but
# pg_dump and pg_restore (the caller writes its own wrapper).
bindir() {
	mkdir -p "$WORK/$1"
	for f in "$PG_BINDIR"/*; do
		case ${f##*/} in pg_dump | pg_restore) ;; *) ln -s "$f" "$WORK/$1/" ;; esac
	done
	ln -s "$PG_BINDIR/pg_restore" "$WORK/$1/pg_restore"
	echo "$WORK/$1"
}
# wrapper DIR TOOL BODY: DIR/TOOL, a script with BODY (REAL is the real tool).
wrapper() {
	rm -f "$1/$2"
	printf '#!/bin/sh\nREAL=%s/%s\n%s\n' "$PG_BINDIR" "$2" "$3" >"$1/$2"
	chmod 755 "$1/$2"
}

# The appliance's database, scaled: documents with ~300 bytes of text and
# 500 random bytes each (incompressible, like the vault's PDFs), customers
# with non-ASCII names, an index, a view, a sequence. The backup role app
# reads everything (with a password over TCP).
pg_role app "$PW" || bail "CREATE ROLE app"
pg_sql "GRANT pg_read_all_data TO app; CREATE DATABASE app" || bail "CREATE DATABASE app"
pg_sql_in app "
CREATE EXTENSION pgcrypto;
CREATE TABLE customers (
	id serial PRIMARY KEY,
	name text NOT NULL,
	city text NOT NULL
);
INSERT INTO customers (name, city)
SELECT (ARRAY['Müller', 'Schäfer', 'Größe', 'Weiß', 'Öztürk', 'Łukasiewicz'])[1 + i % 6] || ' ' || i,
       (ARRAY['Köln', 'München', 'Düsseldorf', 'Zürich'])[1 + i % 4]
FROM generate_series(1, 2000) i;
CREATE TABLE documents (
	id integer PRIMARY KEY,
	customer integer NOT NULL REFERENCES customers,
	title text NOT NULL,
	body text NOT NULL,
	content bytea NOT NULL,
	changed timestamptz NOT NULL
);
INSERT INTO documents
SELECT i, 1 + i % 2000, 'Vorgang ' || i || ' – Prüfbericht',
       (SELECT string_agg(md5(i || '.' || j || random()::text), ' ') FROM generate_series(1, 9) j),
       gen_random_bytes(500),
       timestamptz '2026-01-01 00:00:00+00' - i * interval '1 minute'
FROM generate_series(1, 28000) i;
CREATE INDEX ON documents (customer);
CREATE VIEW documents_per_customer AS
	SELECT customer, count(*) AS n FROM documents GROUP BY customer;
" || bail "filling the database app"

# Night 0: a full set; night 1: 2% of the documents changed.
backup 0 >"$WORK/out0" 2>&1
check "night 0: the database is backed up in a full set" \
    grep -q '^backup: full set' "$WORK/out0"
diag "$(cat "$WORK/out0")"
pg_plain app >"$WORK/snap0" || bail "pg_dump app"
published >"$WORK/published"
full_id=$(sed -n 's/^tresor\.\(.*\.full\)\.manifest\.gpg$/\1/p' "$WORK/published")
[ -n "$full_id" ] || bail "no full set in the target"

pg_sql_in app "UPDATE documents
SET body = (SELECT string_agg(md5(id || ':' || j || random()::text), ' ') FROM generate_series(1, 9) j),
    content = gen_random_bytes(500),
    changed = timestamptz '2026-01-01 12:00:00+00'
WHERE id % 50 = 0" || bail "night 1's changes"
backup 1 >"$WORK/out1" 2>&1
check "night 1: an incremental set" grep -q '^backup: incremental set' "$WORK/out1"
diag "$(cat "$WORK/out1")"
pg_plain app >"$WORK/snap1" || bail "pg_dump app"
published >"$WORK/published"
inc_id=$(sed -n 's/^tresor\.\(.*\.inc\)\.manifest\.gpg$/\1/p' "$WORK/published")
[ -n "$inc_id" ] || bail "no incremental set in the target"
full_bytes=$(set_bytes "$WORK/target" "$full_id")
inc_bytes=$(set_bytes "$WORK/target" "$inc_id")
diag "full set $full_bytes bytes, incremental $inc_bytes bytes: $(awk -v a="$inc_bytes" -v b="$full_bytes" 'BEGIN { printf "%.2f%%", 100 * a / b }') (2% of the rows changed)"
check "the incremental stores < 15% of the full's bytes" \
    test $((inc_bytes * 100)) -lt $((full_bytes * 15))

# restore-db at any point in time.
check "restore-db --time of night 0 into r0" \
    restore_db --time "$(at 0)" --dbname r0
pg_plain r0 >"$WORK/r0.sql"
check "... r0 is the database as of night 0" cmp -s "$WORK/snap0" "$WORK/r0.sql"
check "restore-db of the newest set into r1" restore_db --dbname r1
pg_plain r1 >"$WORK/r1.sql"
check "... r1 is the database as of night 1" cmp -s "$WORK/snap1" "$WORK/r1.sql"
check "... which differs from night 0" sh -c "! cmp -s '$WORK/snap0' '$WORK/snap1'"

# fetch: the dump to a file and to stdout.
check "fetch writes the dump to a file" \
    "$TRESOR" fetch --quiet --from "$T" --key-file "$WORK/k.sec.asc" \
    ecs-pgdump/app.pgdump "$WORK/app.pgdump"
"$TRESOR" fetch --quiet --from "$T" --key-file "$WORK/k.sec.asc" \
    ecs-pgdump/app.pgdump - >"$WORK/app-stdout.pgdump" 2>"$WORK/err"
check "fetch PATH - writes it to stdout" test $? -eq 0
check "... byte for byte the same" cmp -s "$WORK/app.pgdump" "$WORK/app-stdout.pgdump"
check "... a dump pg_restore reads" \
    sh -c "pg_restore --list '$WORK/app-stdout.pgdump' | grep -q 'TABLE DATA public documents'"

# restore-db refuses an existing database and leaves it alone.
expect_fail "$WORK/err" restore_db --dbname app
check "restore-db into an existing database fails: one line" one_line_error "$WORK/err"
diag "$(cat "$WORK/err")"
check "... saying it exists" grep -q 'exists' "$WORK/err"
pg_plain app >"$WORK/app.sql"
check "... and the database is untouched" cmp -s "$WORK/snap1" "$WORK/app.sql"

# Locales: a missing one fails before anything exists; the appliance's works.
expect_fail "$WORK/err" restore_db --dbname rx --locale xx_XX.utf8
check "restore-db --locale xx_XX.utf8 fails: one line" one_line_error "$WORK/err"
diag "$(cat "$WORK/err")"
check "... naming the locale" grep -q 'xx_XX' "$WORK/err"
check "... and the database does not exist" no_db rx
if locale -a | grep -qix 'de_DE\.utf-\{0,1\}8'; then
	check "restore-db --locale de_DE.utf8" restore_db --dbname rde --locale de_DE.utf8
	check "... the database's collation is de_DE.utf8" \
	    test "$(pg_value postgres "SELECT datcollate FROM pg_database WHERE datname = 'rde'")" = de_DE.utf8
	pg_plain rde >"$WORK/rde.sql"
	check "... and its content is night 1's" cmp -s "$WORK/snap1" "$WORK/rde.sql"
else
	check "the de_DE.utf8 locale exists (scripts/setup.sh check makes it)" false
fi
check "restore-db --owner app --pg-database app" \
    restore_db --dbname rown --owner app --pg-database app
check "... the database is owned by app" \
    test "$(pg_value postgres "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'rown'")" = app

# A pg_restore that fails half-way (its input cut short): the new database
# is dropped again.
B=$(bindir bin-restore-cut)
wrapper "$B" pg_restore 'case "$1" in --version) exec "$REAL" "$@" ;; esac
head -c 300000 | "$REAL" "$@"'
expect_fail "$WORK/err" restore_db --dbname rcut --pg-bindir "$B"
check "restore-db whose pg_restore fails: one line" one_line_error "$WORK/err"
diag "$(cat "$WORK/err")"
check "... giving pg_restore's exit status, not our broken pipe" \
    grep -q 'pg_restore exited with status' "$WORK/err"
check "... and the database it created is dropped again" no_db rcut

# Night 2's changes; then every failure publishes nothing.
pg_sql_in app "UPDATE documents SET title = title || ' (geprüft)', changed = timestamptz '2026-01-02 12:00:00+00'
WHERE id % 50 = 1" || bail "night 2's changes"
pg_plain app >"$WORK/snap2" || bail "pg_dump app"

B=$(bindir bin-killed)
wrapper "$B" pg_dump 'case "$1" in --version) exec "$REAL" "$@" ;; esac
"$REAL" "$@" | head -c 200000
kill -KILL $$'
expect_fail "$WORK/err" backup 2 --pg-bindir "$B"
check "pg_dump killed mid-stream: the backup fails with one line" one_line_error "$WORK/err"
diag "$(cat "$WORK/err")"
check "... naming pg_dump" grep -q 'pg_dump' "$WORK/err"
check "... and publishes nothing" nothing_published

B=$(bindir bin-exit1)
wrapper "$B" pg_dump 'case "$1" in --version) exec "$REAL" "$@" ;; esac
"$REAL" "$@" | head -c 200000
exit 1'
expect_fail "$WORK/err" backup 2 --pg-bindir "$B"
check "pg_dump exiting 1 after a partial dump: one line" one_line_error "$WORK/err"
diag "$(cat "$WORK/err")"
check "... and publishes nothing" nothing_published

B=$(bindir bin-old)
wrapper "$B" pg_dump 'case "$1" in --version) echo "pg_dump (PostgreSQL) 9.6.1"; exit 0 ;; esac
exec "$REAL" "$@"'
expect_fail "$WORK/err" backup 2 --pg-bindir "$B"
check "a pg_dump older than the server is refused: one line" one_line_error "$WORK/err"
diag "$(cat "$WORK/err")"
check "... naming its version" grep -q '9\.6' "$WORK/err"
check "... and publishes nothing" nothing_published

expect_fail "$WORK/err" backup 2 --pg-database nosuchdb
check "a database that does not exist: one line" one_line_error "$WORK/err"
diag "$(cat "$WORK/err")"
check "... saying so" sh -c "grep -q 'nosuchdb' '$WORK/err' && grep -q 'does not exist' '$WORK/err'"
check "... and publishes nothing" nothing_published

down_port=$(pg_free_port)
expect_fail "$WORK/err" backup 2 --pg-host 127.0.0.1 --pg-port "$down_port"
check "a server that is down: one line" one_line_error "$WORK/err"
diag "$(cat "$WORK/err")"
check "... saying it cannot connect" grep -Eqi 'connect|refused' "$WORK/err"
check "... and publishes nothing" nothing_published

PGPASSWORD=wrong-pw-17
export PGPASSWORD
expect_fail "$WORK/err" backup 2 --pg-host 127.0.0.1 --pg-port "$PG_PORT" --pg-user app
unset PGPASSWORD
check "a wrong password: one line" one_line_error "$WORK/err"
diag "$(cat "$WORK/err")"
check "... saying so" grep -qi 'password' "$WORK/err"
check "... without the password in it" sh -c "! grep -q 'wrong-pw-17' '$WORK/err'"
check "... and publishes nothing" nothing_published

# After all that, the next night is a normal incremental that restores.
backup 2 >"$WORK/out2" 2>&1
check "night 2 after the failed runs: an incremental set" \
    grep -q '^backup: incremental set' "$WORK/out2"
published >"$WORK/published"
check "... restore-db of it into r2" restore_db --dbname r2
pg_plain r2 >"$WORK/r2.sql"
check "... r2 is the database as of night 2" cmp -s "$WORK/snap2" "$WORK/r2.sql"

# The password: from PGPASSWORD, over TCP, never on pg_dump's command line
# or in any output.
B=$(bindir bin-args)
wrapper "$B" pg_dump "printf '%s\\n' \"\$*\" >>'$WORK/pg_dump.args'
exec \"\$REAL\" \"\$@\""
PGPASSWORD=$PW
export PGPASSWORD
backup 3 --pg-host 127.0.0.1 --pg-port "$PG_PORT" --pg-user app --pg-bindir "$B" \
    >"$WORK/out3" 2>"$WORK/err3"
rc=$?
unset PGPASSWORD
check "the right password in PGPASSWORD over 127.0.0.1 works" test "$rc" -eq 0
diag "$(cat "$WORK/out3" "$WORK/err3")"
published >"$WORK/published"
check "... pg_dump ran with --format=custom" grep -q -e '--format=custom' "$WORK/pg_dump.args"
check "... the password is not in pg_dump's arguments" \
    sh -c "! grep -q '$PW' '$WORK/pg_dump.args'"
check "... nor in tresor's output" sh -c "! cat '$WORK'/out* '$WORK'/err* | grep -q '$PW'"
check "... nor anywhere in the target or the cache" \
    sh -c "! grep -rqa '$PW' '$WORK/target' '$WORK/cache'"

# --require-nonempty: an empty vault (a missing mount) refuses the night.
mkdir -p "$WORK/empty" "$WORK/vault"
expect_fail "$WORK/err" backup 4 --require-nonempty "$WORK/empty" "$WORK/empty"
check "--require-nonempty with an empty directory: one line" one_line_error "$WORK/err"
diag "$(cat "$WORK/err")"
check "... naming it" grep -q "$WORK/empty" "$WORK/err"
check "... and publishes nothing" nothing_published
echo "a document" >"$WORK/vault/doc.txt"
check "--require-nonempty with a non-empty directory backs up" \
    sh -c "TRESOR_NOW=$(at 4) '$TRESOR' backup --quiet --to '$T' --key-file '$WORK/k.pub.asc' --pg-database app --require-nonempty '$WORK/vault' '$WORK/vault'"

done_testing
