#!/bin/sh
# interrupt-restore.sh: restore, fetch and restore-db stopped by a signal at
# exact points (TRESOR_TESTPOINT) clean up after themselves. After SIGINT:
# exit 130, one line, no scratch in --to or $TMPDIR, no half file under a
# final name, the new database dropped. After SIGKILL (nothing can run):
# no plaintext scratch left anywhere, the next restore --force into the
# same --to succeeds and removes leftovers of earlier runs with a warning,
# and the next restore-db of the same name drops the killed run's
# half-made database (recognised by its comment) and succeeds. A reader of
# fetch's stdout that stops early kills fetch with SIGPIPE, quietly.
. "$TOP_SRCDIR/tests/integration/lib.sh"
. "$TOP_SRCDIR/tests/integration/pglib.sh"

make_key k
mkdir -p "$WORK/src/d" "$WORK/target" "$WORK/tmp" "$WORK/dumps"
T="file://$WORK/target"
# Every run's $TMPDIR, so that what it leaves there can be seen.
TMPDIR="$WORK/tmp"
export TMPDIR

# A 3 MB file (three DATA records) that the second night changes a little:
# a delta whose base is a scratch file while the restore runs.
head -c 3000000 /dev/urandom >"$WORK/src/a-big.bin"
for i in 1 2 3 4 5; do printf 'small %s\n' "$i" >"$WORK/src/d/f$i"; done
backup() {
	env TRESOR_NOW="$(at "$1")" "$TRESOR" backup --quiet --to "$T" \
	    --key-file "$WORK/k.pub.asc" --delta-min-size 1M "$2"
}
backup 0 "$WORK/src" || bail "backup night 0"
printf 'changed' | dd of="$WORK/src/a-big.bin" bs=1 seek=1000 conv=notrunc 2>/dev/null
backup 1 "$WORK/src" || bail "backup night 1"

# stopped PID: wait (up to 60 s) until PID stops itself at its test point.
stopped() {
	n=0
	while :; do
		state=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d ' ' -f 1)
		[ "$state" = T ] && return 0
		[ -n "$state" ] || return 1
		n=$((n + 1))
		[ "$n" -lt 600 ] || return 1
		sleep 0.1
	done
}
# signal_at POINT SIGNAL ARG...: run tresor ARG... with TRESOR_TESTPOINT=POINT,
# send SIGNAL once it stops there, continue it; its exit status goes to
# $WORK/status, its stderr to $WORK/err.
signal_at() {
	point=$1
	sig=$2
	shift 2
	env TRESOR_TESTPOINT="$point" "$TRESOR" "$@" >"$WORK/out" 2>"$WORK/err" &
	pid=$!
	if ! stopped "$pid"; then
		kill -KILL "$pid" 2>/dev/null
		wait "$pid"
		echo "never-stopped" >"$WORK/status"
		return 1
	fi
	kill -"$sig" "$pid"
	kill -CONT "$pid" 2>/dev/null
	wait "$pid"
	echo $? >"$WORK/status"
}
status_is() {
	[ "$(cat "$WORK/status")" = "$1" ]
}
# What every reading verb is given ($WORK has no blanks: mktemp).
KEYS="--quiet --from $T --key-file $WORK/k.sec.asc"
restore() {
	"$TRESOR" restore --quiet --from "$T" --key-file "$WORK/k.sec.asc" "$@"
}
# no_scratch DIR...: nothing of tresor's temporaries under any DIR.
no_scratch() {
	[ -z "$(find "$@" -name '.tresor-*' -o -name 'tresor-*' -o \
	    -name '*.tresor-tmp*' | head -n 1)" ]
}
tmp_empty() {
	[ -z "$(ls -A "$WORK/tmp")" ] && return 0
	diag "in \$TMPDIR: $(ls -A "$WORK/tmp" | tr '\n' ' ')"
	return 1
}
# after_kill: a SIGKILLed run cannot remove its GnuPG home from $TMPDIR
# (it may hold the secret key); the next run that makes a home removes
# the homes of runs that are gone, which the later tmp_empty checks see.
after_kill() {
	for d in "$WORK"/tmp/*; do
		[ -e "$d" ] || continue
		case ${d##*/} in
		tresor-gpg.*) diag "SIGKILL left GnuPG home ${d##*/}" ;;
		esac
	done
}
# stopped_by N SIG: exit status N and one line saying "interrupted by SIG".
stopped_by() {
	status_is "$1" && [ "$(wc -l <"$WORK/err")" -eq 1 ] &&
	    grep -q "^tresor: .*interrupted by $2\$" "$WORK/err"
}
# clean_and_complete DEST: no temporaries, and what is there is whole.
clean_and_complete() {
	[ -z "$(find "$1" -name '.tresor-*')" ] && complete "$1"
}
# complete DEST: every regular file restored under its name is whole.
complete() {
	(cd "$1/src" && find . -type f) | while read -r f; do
		cmp -s "$1/src/$f" "$WORK/src/$f" || { echo "half: $f"; exit 1; }
	done
}

# --- restore -----------------------------------------------------------
# SIGINT while the base of the delta is half written to its scratch file.
signal_at restore-data:2 INT restore $KEYS --to "$WORK/r1"
check "restore: SIGINT in a base's data exits 130" status_is 130
check "... with one line saying so" stopped_by 130 SIGINT
check "... no scratch in --to" no_scratch "$WORK/r1"
check "... nothing in \$TMPDIR" tmp_empty
check "... a.big.bin does not appear" test ! -e "$WORK/r1/src/a-big.bin"

# SIGINT before the second file is written.
signal_at restore-file:2 INT restore $KEYS --to "$WORK/r2"
check "restore: SIGINT between files exits 130, one line" stopped_by 130 SIGINT
check "... no scratch, no half file under a final name" clean_and_complete "$WORK/r2"
check "... nothing in \$TMPDIR" tmp_empty

# SIGTERM in the middle of a file's data (the delta's result, --force).
signal_at restore-data:4 TERM restore $KEYS --force --to "$WORK/r2"
check "restore: SIGTERM exits 143, one line" stopped_by 143 SIGTERM
check "... no scratch, only complete files" clean_and_complete "$WORK/r2"

# SIGKILL in a base's data: nothing can run, nothing plaintext is left.
signal_at restore-data:2 KILL restore $KEYS --to "$WORK/r3"
after_kill
check "restore: SIGKILL in a base's data" status_is 137
check "... leaves no scratch file in --to (they have no name)" no_scratch "$WORK/r3"
# Leftovers of a killed older run (or of a named base): ours by name.
dead=$(sh -c 'echo $$')
mkdir "$WORK/r3/.tresor-scratch.$dead.Ab12Cd"
echo plaintext >"$WORK/r3/.tresor-scratch.$dead.Ab12Cd/0"
mkdir "$WORK/r3/.tresor-scratch.Xy34Zw"
echo plaintext >"$WORK/r3/.tresor-scratch.Xy34Zw/1"
echo plaintext >"$WORK/r3/.tresor-scratch.$dead.Qq56Rr"
check "the next restore --force succeeds" restore --force --to "$WORK/r3" 2>"$WORK/err"
check "... removes earlier runs' scratch, one warning each" sh -c \
    '[ "$(grep -c "^tresor: warning: removed .*\.tresor-scratch\..*left by an interrupted restore" "$1")" = 3 ]' _ "$WORK/err"
check "... and leaves no scratch" no_scratch "$WORK/r3"
check "... the tree is identical" "$TREEDIFF" "$WORK/src" "$WORK/r3/src"
check "a plain restore removes them too" sh -c \
    'mkdir "$1/.tresor-scratch.Zz99Zz" && "$2" restore --quiet --from "$3" --key-file "$4" --force --to "$1" 2>/dev/null && [ ! -e "$1/.tresor-scratch.Zz99Zz" ]' \
    _ "$WORK/r3" "$TRESOR" "$T" "$WORK/k.sec.asc"
check "... nothing in \$TMPDIR" tmp_empty

# Scratch named for a pid that runs (this shell's) may be a live restore's:
# left alone, with a warning naming the pid. Scratch that cannot be removed
# (not flat: a directory inside) is named with the reason, and the restore
# goes on.
mkdir -p "$WORK/r3/.tresor-scratch.$$.Lv78Lv" "$WORK/r3/.tresor-scratch.Nf90Nf/sub"
check "a restore beside other runs' scratch succeeds" \
    restore --force --to "$WORK/r3" 2>"$WORK/err"
check "... leaves a running pid's scratch alone, naming the pid" sh -c \
    'grep -q "^tresor: warning: leaving .*/\.tresor-scratch\.$2\.Lv78Lv. alone: pid $2, which may be a restore using it, is running" "$1" &&
    [ -d "$3/.tresor-scratch.$2.Lv78Lv" ]' _ "$WORK/err" "$$" "$WORK/r3"
check "... and names scratch it cannot remove, with the reason" \
    grep -q "^tresor: warning: unable to remove .*/\.tresor-scratch\.Nf90Nf', left by an interrupted restore: Directory not empty" "$WORK/err"
rm -rf "$WORK/r3/.tresor-scratch.$$.Lv78Lv" "$WORK/r3/.tresor-scratch.Nf90Nf"

# SIGKILL while a file is half written under --to: no .tresor-part.
signal_at restore-data:4 KILL restore $KEYS --to "$WORK/r4"
after_kill
check "restore: SIGKILL in a file's data" status_is 137
check "... leaves no partial file" clean_and_complete "$WORK/r4"

# --- fetch ---------------------------------------------------------------
fetch() {
	"$TRESOR" fetch --quiet --from "$T" --key-file "$WORK/k.sec.asc" "$@"
}
signal_at restore-data:2 INT fetch $KEYS src/a-big.bin "$WORK/fetched"
check "fetch: SIGINT exits 130, one line" stopped_by 130 SIGINT
check "... no DEST and no temporary" sh -c \
    '[ -z "$(ls -A "$1" | grep fetched)" ]' _ "$WORK"
signal_at restore-data:2 KILL fetch $KEYS src/a-big.bin "$WORK/fetched"
after_kill
check "fetch: SIGKILL leaves no partial DEST or temporary" sh -c \
    '[ -z "$(ls -A "$1" | grep fetched)" ]' _ "$WORK"
check "the next fetch succeeds" fetch src/a-big.bin "$WORK/again.bin"
check "... and removed the killed run's GnuPG home: nothing in \$TMPDIR" tmp_empty
# A reader that stops early: fetch dies of SIGPIPE (141), with no message.
{ fetch src/a-big.bin - 2>"$WORK/err"; echo $? >"$WORK/status"; } | head -c 10 >"$WORK/head"
check "fetch - | head -c 10: fetch is killed by SIGPIPE (141), as cat" status_is 141
check "... with no message" test ! -s "$WORK/err"
check "... head got its 10 bytes" sh -c '[ "$(wc -c <"$1")" = 10 ]' _ "$WORK/head"
check "... nothing in \$TMPDIR" tmp_empty
fetch src/a-big.bin - 2>"$WORK/err" | cat >"$WORK/whole"
check "fetch - | cat: the whole file, status 0" cmp -s "$WORK/whole" "$WORK/src/a-big.bin"

# --- restore-db ------------------------------------------------------------
pg_sql "CREATE DATABASE app" || bail "CREATE DATABASE app"
pg_sql_in app "CREATE TABLE t (id integer PRIMARY KEY, body text NOT NULL);
INSERT INTO t SELECT i, repeat(md5(i::text), 40) FROM generate_series(1, 3000) i;" ||
    bail "fill app"
# A dump stored like any file (uncompressed, 3.8 MB), then a changed one:
# restore-db gets a delta whose base is a scratch file in $TMPDIR.
pg_dump -Fc -Z0 -f "$WORK/dumps/app.pgdump" app || bail "pg_dump"
backup 2 "$WORK/dumps" || bail "backup the dump"
pg_sql_in app "UPDATE t SET body = 'changed' WHERE id = 1500" || bail "UPDATE"
pg_dump -Fc -Z0 -f "$WORK/dumps/app.pgdump" app || bail "pg_dump"
backup 3 "$WORK/dumps" || bail "backup the changed dump"
rows() {
	[ "$(pg_value "$1" "SELECT count(*) FROM t")" = 3000 ] &&
	    [ "$(pg_value "$1" "SELECT body FROM t WHERE id = 1500")" = changed ]
}
no_db() {
	[ "$(pg_value postgres "SELECT count(*) FROM pg_database WHERE datname = '$1'")" = 0 ]
}
restore_db() {
	"$TRESOR" restore-db --quiet --from "$T" --key-file "$WORK/k.sec.asc" \
	    --pg-dump-path dumps/app.pgdump "$@"
}
check "restore-db works" restore_db --dbname whole
check "... complete" rows whole
# Without --quiet it says what it restored, and where.
"$TRESOR" restore-db --from "$T" --key-file "$WORK/k.sec.asc" \
    --pg-dump-path dumps/app.pgdump --dbname loud >"$WORK/out" 2>"$WORK/err" ||
    diag "restore-db --dbname loud: $(cat "$WORK/err")"
check "restore-db without --quiet: one line saying which database, on which server" \
    sh -c "[ \$(wc -l <'$WORK/out') -eq 1 ] && grep -q \"^restore-db: database 'loud' on .* restored\$\" '$WORK/out'"
check "... complete" rows loud
# A user who may not create databases: the server's refusal of CREATE
# DATABASE, in one line naming the database (restore-db does not ask
# first; recover-from-backup does, see recover.sh).
pg_sql "CREATE ROLE weak LOGIN" || bail "CREATE ROLE weak"
expect_fail "$WORK/err" restore_db --pg-user weak --dbname weakdb
check "restore-db as a user without CREATEDB: one line, the server's refusal" \
    sh -c "[ \$(wc -l <'$WORK/err') -eq 1 ] &&
        grep -q \"unable to create database 'weakdb' on .*: ERROR: *permission denied to create database\" '$WORK/err'"
check "... and no database is made" no_db weakdb

signal_at restoredb-created INT restore-db $KEYS --pg-dump-path dumps/app.pgdump --dbname copy
check "restore-db: SIGINT after CREATE DATABASE exits 130, one line" stopped_by 130 SIGINT
check "... the new database is dropped" no_db copy
check "... nothing in \$TMPDIR" tmp_empty

signal_at restore-data:2 INT restore-db $KEYS --pg-dump-path dumps/app.pgdump --dbname copy
check "restore-db: SIGINT in the dump's base exits 130, one line" stopped_by 130 SIGINT
check "... the new database is dropped" no_db copy
check "... no plaintext dump in \$TMPDIR" tmp_empty

signal_at restore-data:5 INT restore-db $KEYS --pg-dump-path dumps/app.pgdump --dbname copy
check "restore-db: SIGINT while pg_restore runs exits 130, one line" stopped_by 130 SIGINT
check "... the new database is dropped" no_db copy
check "... nothing in \$TMPDIR" tmp_empty

signal_at restore-data:2 KILL restore-db $KEYS --pg-dump-path dumps/app.pgdump --dbname copy
after_kill
check "restore-db: SIGKILL in the dump's base" status_is 137
check "... leaves no plaintext dump in \$TMPDIR" sh -c \
    '[ -z "$(find "$1" -name "*scratch*")" ]' _ "$WORK/tmp"
# db_comment NAME: the database's comment.
db_comment() {
	pg_value postgres "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = '$1'"
}
marked() {
	db_comment "$1" | grep -q "^tresor restore-db in progress: host .* pid [0-9]*\$"
}
check "... leaves the database, marked as ours" marked copy
check "the next restore-db of that name works" restore_db --dbname copy 2>"$WORK/err"
check "... saying it dropped the killed run's database" grep -q \
    "^tresor: warning: dropping database 'copy' .*killed" "$WORK/err"
unmarked() {
	[ -z "$(db_comment "$1")" ]
}
check "... complete" rows copy
check "... and no longer marked" unmarked copy

signal_at restoredb-created KILL restore-db $KEYS --pg-dump-path dumps/app.pgdump --dbname copy2
after_kill
check "restore-db: SIGKILL after CREATE DATABASE" status_is 137
check "... the next restore-db of that name works" restore_db --dbname copy2 2>/dev/null
check "... complete" rows copy2
# A marked database of a run that still runs (or another host's) is refused.
pg_sql "CREATE DATABASE busy; COMMENT ON DATABASE busy IS 'tresor restore-db in progress: host elsewhere.invalid pid 1'" ||
    bail "CREATE DATABASE busy"
check "another run's database is refused" expect_fail "$WORK/err" restore_db --dbname busy
check "... in one line naming the run and what to do" sh -c \
    '[ "$(wc -l <"$1")" -eq 1 ] && grep -q "host elsewhere.invalid pid 1.*drop the database" "$1"' _ "$WORK/err"
check "... and it is left alone" marked busy
check "... nothing in \$TMPDIR" tmp_empty

done_testing
