#!/bin/sh
# recover-faults.sh: recover-from-backup --only-restore meets failing
# system calls (tests/helpers/faultshim.so) after it has started: no
# staging directory (mkdtemp), moving the staged vault up without
# RENAME_NOREPLACE (EINVAL: the plain rename is used, identical), a move
# that fails (EXDEV), and a dump directory on a full disk. A failing run exits non-zero in one line that says what was
# left; nothing half-written sits in the dump directory, no staging
# directory is left in the vault. A throwaway PostgreSQL cluster
# (pglib.sh) makes the set's dump; recover creates no database.
#
# Then restore-db with a pg_restore (a wrapper in a --pg-bindir) that reads
# the whole dump and fails: the database is dropped again, and the cause is
# pg_restore's; and with a session left in the new database, which then
# cannot be dropped, or with its own connection cut after pg_restore (the
# mark cannot be cleared): the last line says it was left half-restored. And
# restore-db's refusals before it connects; recover from a set whose vault
# is a file (refused), and of a vault of six bytes (its size in bytes).
. "$TOP_SRCDIR/tests/integration/lib.sh"
. "$TOP_SRCDIR/tests/integration/pglib.sh"

use_faultshim

make_key k
mkdir -p "$WORK/target" "$WORK/data"
T="file://$WORK/target"
V="$WORK/data/ecs-storage-vault"
pg_sql "CREATE DATABASE ecs_src" || bail "CREATE DATABASE"
pg_sql_in ecs_src "CREATE TABLE t (id integer PRIMARY KEY, body text);
INSERT INTO t SELECT i, md5(i::text) FROM generate_series(1, 2000) i" ||
    bail "filling ecs_src"
make_tree "$V"
env TRESOR_NOW="$(at 0)" "$TRESOR" backup --quiet --to "$T" \
    --key-file "$WORK/k.pub.asc" --pg-database ecs_src "$V" || bail "backup"

REAL=$WORK/bin/.real/tresor
[ -x "$REAL" ] || bail "$REAL: no copy of tresor (lib.sh makes it)"
LOG=$WORK/fault.log
# recover_faulty NAME CALL N ERRNO PART: recover --only-restore into fresh
# $WORK/NAME/{vault,dump} with CALL's Nth call failing; stderr in
# $WORK/err, status in $rc, $hit whether the fault happened.
recover_faulty() {
	rm -rf "${WORK:?}/$1"
	mkdir -p "$WORK/$1/vault" "$WORK/$1/dump"
	: >"$LOG"
	LD_PRELOAD=$SHIM TRESOR_FAULT="$2:$3:$4${5:+:$5}" TRESOR_FAULT_LOG="$LOG" \
	    "$REAL" recover-from-backup --yes-i-am-sure --only-restore --quiet \
	    --sign-pubkey "$WORK/sign.pub.asc" --from "$T" \
	    --key-file "$WORK/k.sec.asc" --vault "$WORK/$1/vault" \
	    --dump-dir "$WORK/$1/dump" --database recdb </dev/null \
	    >/dev/null 2>"$WORK/err"
	rc=$?
	hit=no
	[ -s "$LOG" ] && hit=yes
}
no_stage() {
	! ls -A "$WORK/$1/vault" | grep -q '^\.tresor'
}

# The vault is staged under VAULT/.tresor-recover.XXXXXX/ecs-storage-vault
# and its top-level names moved up; only that move renames empty-dir (an
# empty directory is made in place). EINVAL is 22, EXDEV 18.
# The staging directory cannot be made: nothing was changed.
recover_faulty r0 mkdtemp 1 ENOSPC .tresor-recover.
check "no staging directory: recover fails" test $rc -ne 0 -a $hit = yes
check "... in one line" one_line_error "$WORK/err"
check "... saying nothing was changed" \
    sh -c "grep -q 'unable to create' '$WORK/err' && grep -q 'nothing was changed' '$WORK/err'"
diag "$(cat "$WORK/err")"
check "... nothing was" \
    test -z "$(find "$WORK/r0/vault" "$WORK/r0/dump" -mindepth 1)"

# No RENAME_NOREPLACE (renameat2 EINVAL): the plain rename, identical.
recover_faulty r1 renameat 1 22 ecs-storage-vault/empty-dir
check "renameat2 EINVAL: recover exits 0" test $rc -eq 0 -a $hit = yes
[ $rc -eq 0 ] || diag "$(cat "$WORK/err")"
check "... the vault is identical" "$TREEDIFF" "$V" "$WORK/r1/vault"
check "... no staging directory left" no_stage r1
check "... the dump is there" test -s "$WORK/r1/dump/ecs_src.pgdump"

# Every move fails: the vault is not restored, the dump not written.
recover_faulty r2 renameat 0 18 ecs-storage-vault/empty-dir
check "every move fails (EXDEV): recover fails" test $rc -ne 0 -a $hit = yes
check "... in one line" one_line_error "$WORK/err"
check "... saying which move and what was left" \
    sh -c "grep -q 'unable to move' '$WORK/err' && grep -q 'were not touched' '$WORK/err'"
check "... the dump directory is still empty" \
    test -z "$(ls -A "$WORK/r2/dump")"

# The dump directory on a full disk: the vault is restored, no dump.
recover_faulty r3 write 0 ENOSPC "$WORK/r3/dump"
check "dump directory full: recover fails" test $rc -ne 0 -a $hit = yes
check "... in one line" one_line_error "$WORK/err"
check "... saying the vault was restored and the dump directory is empty" \
    grep -q "the vault was restored into '$WORK/r3/vault'; the dump directory '$WORK/r3/dump' is still empty" "$WORK/err"
check "... the vault is identical, no staging left" \
    sh -c "'$TREEDIFF' '$V' '$WORK/r3/vault' && ! ls -A '$WORK/r3/vault' | grep -q '^\\.tresor'"
check "... nothing in the dump directory" test -z "$(ls -A "$WORK/r3/dump")"
check "... no database was created" \
    test "$(pg_value postgres "SELECT count(*) FROM pg_database WHERE datname = 'recdb'")" = 0

# --- restore-db whose pg_restore, or what comes after it, fails -------------
# bindir NAME: $WORK/NAME, the server's tools but pg_restore, a wrapper
# with BODY (REAL is the real one; DB the --dbname it was given).
bindir() {
	mkdir -p "$WORK/$1"
	for f in "$PG_BINDIR"/*; do
		[ "${f##*/}" = pg_restore ] || ln -s "$f" "$WORK/$1/"
	done
	printf '#!/bin/sh\nREAL=%s/pg_restore\nfor a; do case $a in --dbname=*) DB=${a#--dbname=} ;; esac; done\n%s\n' \
	    "$PG_BINDIR" "$2" >"$WORK/$1/pg_restore"
	chmod 755 "$WORK/$1/pg_restore"
}
restore_db() {
	"$TRESOR" restore-db --quiet --from "$T" --key-file "$WORK/k.sec.asc" "$@" \
	    >/dev/null 2>"$WORK/err"
}
no_db() {
	[ "$(pg_value postgres "SELECT count(*) FROM pg_database WHERE datname = '$1'")" = 0 ]
}

# pg_restore reads the whole dump, then fails: its status is the cause.
bindir bin-fail 'case "$1" in --version) exec "$REAL" "$@" ;; esac
cat >/dev/null
echo "pg_restore: error: could not execute query: ERROR:  role \"ghost\" does not exist" >&2
exit 1'
restore_db --dbname rfail --pg-bindir "$WORK/bin-fail"
check "pg_restore fails after the whole dump: restore-db fails" test $? -ne 0
check "... in one line" one_line_error "$WORK/err"
diag "$(cat "$WORK/err")"
check "... with pg_restore's status, and the database dropped again" \
    sh -c "grep -q 'pg_restore exited with status 1' '$WORK/err' && grep -q \"database 'rfail' was dropped again\" '$WORK/err'"
check "... it is gone" no_db rfail

# pg_restore fails and a session (in a session of its own, which outlives
# pg_restore's process group) stays in the new database: it cannot be
# dropped again (DROP DATABASE waits 5 s for other sessions, and restore-db
# tries twice), and the message says it was left half-restored.
bindir bin-busy 'case "$1" in --version) exec "$REAL" "$@" ;; esac
cat >/dev/null
setsid psql -q -d "$DB" -c "SELECT pg_sleep(15)" >/dev/null 2>&1 </dev/null &
sleep 1
exit 1'
restore_db --dbname rbusy --pg-bindir "$WORK/bin-busy"
check "pg_restore fails and the database cannot be dropped: restore-db fails" \
    test $? -ne 0
diag "$(cat "$WORK/err")"
check "... its last line says the database was left half-restored" \
    sh -c "tail -n 1 '$WORK/err' | grep -q \"database 'rbusy' was left half-restored\""
check "... and a warning says why it was not dropped" \
    grep -q 'drop the half-restored database' "$WORK/err"
check "... it is there" test "$(pg_value postgres "SELECT count(*) FROM pg_database WHERE datname = 'rbusy'")" = 1
pg_sql "DROP DATABASE IF EXISTS rbusy" >/dev/null 2>&1 ||
    { sleep 5; pg_sql "DROP DATABASE IF EXISTS rbusy" >/dev/null 2>&1; }

# pg_restore succeeds, then restore-db's own connection is cut (its
# backend terminated): the mark cannot be cleared nor the database dropped.
bindir bin-cut 'case "$1" in --version) exec "$REAL" "$@" ;; esac
"$REAL" "$@" || exit
psql -q -d postgres -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
WHERE datname = '"'"'postgres'"'"' AND pid <> pg_backend_pid() AND backend_type = '"'"'client backend'"'"'" >/dev/null'
restore_db --dbname rcutconn --pg-bindir "$WORK/bin-cut"
check "restore-db whose connection is cut after pg_restore: fails" test $? -ne 0
diag "$(cat "$WORK/err")"
check "... its last line says the database was left half-restored" \
    sh -c "tail -n 1 '$WORK/err' | grep -q \"database 'rcutconn' was left half-restored\""
check "... and says why: the restore mark could not be cleared" \
    sh -c "tail -n 1 '$WORK/err' | grep -q \"clear the database's restore mark\""
pg_sql "DROP DATABASE IF EXISTS rcutconn" >/dev/null 2>&1

# restore-db refuses before it connects: a connection string for a name, a
# pg_restore whose version cannot be read.
restore_db --dbname 'host=elsewhere dbname=x'
check "restore-db --dbname with a connection string: fails" test $? -ne 0
check "... in one line" one_line_error "$WORK/err"
check "... saying so" grep -q 'the database name is a connection string' "$WORK/err"
bindir bin-noversion 'echo "not a version"'
restore_db --dbname rnover --pg-bindir "$WORK/bin-noversion"
check "restore-db with a pg_restore of no version: fails" test $? -ne 0
check "... in one line" one_line_error "$WORK/err"
diag "$(cat "$WORK/err")"
check "... no database was created" no_db rnover

# --- recover: a set whose vault is a file; a vault of a few bytes ---------
mkdir -p "$WORK/t-file" "$WORK/t-tiny" "$WORK/tiny/ecs-storage-vault"
printf 'a file\n' >"$WORK/tiny/lone"
env TRESOR_NOW="$(at 0)" "$TRESOR" backup --quiet --to "file://$WORK/t-file" \
    --key-file "$WORK/k.pub.asc" --pg-database ecs_src "$WORK/tiny/lone" ||
    bail "backup of a file"
printf 'six b\n' >"$WORK/tiny/ecs-storage-vault/small"
env TRESOR_NOW="$(at 0)" "$TRESOR" backup --quiet --to "file://$WORK/t-tiny" \
    --key-file "$WORK/k.pub.asc" --pg-database ecs_src "$WORK/tiny/ecs-storage-vault" ||
    bail "backup of a tiny vault"
# recover_from NAME TARGET [OPTION...]: recover --only-restore from TARGET
# into fresh $WORK/NAME/{vault,dump}; stdout in $WORK/out.
recover_from() {
	rm -rf "${WORK:?}/$1"
	mkdir -p "$WORK/$1/vault" "$WORK/$1/dump"
	"$TRESOR" recover-from-backup --yes-i-am-sure --only-restore \
	    --from "file://$WORK/$2" --key-file "$WORK/k.sec.asc" \
	    --vault "$WORK/$1/vault" --dump-dir "$WORK/$1/dump" \
	    --database recdb </dev/null >"$WORK/out" 2>"$WORK/err"
}
recover_from r4 t-file
check "recover from a set whose vault is a file: fails" test $? -ne 0
check "... in one line" one_line_error "$WORK/err"
check "... saying it is not a directory" grep -q "'lone' in set .* is not a directory" "$WORK/err"
check "... nothing was touched" \
    test -z "$(find "$WORK/r4/vault" "$WORK/r4/dump" -mindepth 1)"
diag "$(cat "$WORK/err")"
recover_from r5 t-tiny
check "recover of a vault of six bytes: exit 0" test $? -eq 0
check "... the summary gives its size in bytes" \
    grep -q "^  vault: *$WORK/r5/vault: 1 entries, 1 files, 6 B$" "$WORK/out"
diag "$(grep vault: "$WORK/out")"
check "... identical" cmp -s "$WORK/tiny/ecs-storage-vault/small" "$WORK/r5/vault/small"

done_testing
