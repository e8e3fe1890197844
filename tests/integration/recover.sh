#!/bin/sh
# recover.sh: recover-from-backup against a real (throwaway) PostgreSQL
# cluster. A database and a vault are backed up (a full set, then an
# incremental); recovery into an empty vault directory, an empty dump
# directory and a new database gives back the tree, the dump file (under
# its stored name, whatever it is) and the database's content, owner and
# locale. On a terminal the sets are listed and one is chosen ("2" the
# second, a bad answer asks again, end of input stops). Every refused
# precondition is one line and touches nothing; a failure after the start
# says what was left. Also run as recover-from-backup through a symlink.
. "$TOP_SRCDIR/tests/integration/lib.sh"
. "$TOP_SRCDIR/tests/integration/pglib.sh"

make_key k
make_key other
mkdir -p "$WORK/target" "$WORK/empty-target" "$WORK/data"
T="file://$WORK/target"
V="$WORK/data/ecs-storage-vault"

# The appliance's locale when the machine has it, else C.UTF-8 (the
# default, de_DE.utf8, is then tested for its refusal below).
if locale -a 2>/dev/null | grep -qix 'de_DE\.utf-\{0,1\}8'; then
	LOCALE=de_DE.utf8
	LOCALE_OPT=
else
	LOCALE=C.UTF-8
	LOCALE_OPT="--locale C.UTF-8"
fi
diag "database locale: $LOCALE"

# The source database (with non-ASCII text) and the default owner's role.
pg_sql "CREATE ROLE app LOGIN; CREATE DATABASE ecs_src" || bail "CREATE DATABASE"
pg_sql_in ecs_src "
CREATE TABLE submissions (id integer PRIMARY KEY, title text NOT NULL, body bytea NOT NULL);
INSERT INTO submissions
SELECT i, 'Prüfbericht ' || i || ' – Größe ' || (i % 7), convert_to(repeat(md5(i::text), 20), 'UTF8')
FROM generate_series(1, 3000) i;
CREATE INDEX ON submissions (title);
" || bail "filling ecs_src"

make_tree "$V"
mkdir -p "$V/ab/cd"
head -c 200000 /dev/urandom >"$V/ab/cd/document.pdf"

backup() {
	env TRESOR_NOW="$(at "$1")" "$TRESOR" backup --quiet --to "$T" \
	    --key-file "$WORK/k.pub.asc" --pg-database ecs_src "$V"
}
backup 0 || bail "night 0's backup"
cp -a "$V" "$WORK/snap0"
pg_plain ecs_src >"$WORK/snap0.sql" || bail "pg_dump"
pg_sql_in ecs_src "UPDATE submissions SET title = title || ' (geändert)' WHERE id % 10 = 0;
INSERT INTO submissions VALUES (5000, 'Neu', '\\x00ff')" || bail "night 1's changes"
head -c 50000 /dev/urandom >"$V/ab/cd/new.pdf"
rm "$V/docs/hello.txt"
backup 1 || bail "night 1's backup"
cp -a "$V" "$WORK/snap1"
pg_plain ecs_src >"$WORK/snap1.sql" || bail "pg_dump"
full_id=$(ls "$WORK/target" | sed -n 's/^tresor\.\(.*\.full\)\.manifest\.gpg$/\1/p')
inc_id=$(ls "$WORK/target" | sed -n 's/^tresor\.\(.*\.inc\)\.manifest\.gpg$/\1/p')
[ -n "$full_id" ] && [ -n "$inc_id" ] || bail "no full and incremental set"

# fresh NAME: empty vault and dump directories $WORK/NAME/{vault,dump}.
fresh() {
	rm -rf "$WORK/$1"
	mkdir -p "$WORK/$1/vault" "$WORK/$1/dump"
}
# recover NAME DB [OPTION...]: recover into fresh NAME dirs and database DB.
recover() {
	name=$1
	db=$2
	shift 2
	"$TRESOR" recover-from-backup --yes-i-am-sure --from "$T" \
	    --key-file "$WORK/k.sec.asc" --vault "$WORK/$name/vault" \
	    --dump-dir "$WORK/$name/dump" --database "$db" $LOCALE_OPT "$@"
}
no_db() {
	[ "$(pg_value postgres "SELECT count(*) FROM pg_database WHERE datname = '$1'")" = 0 ]
}
db_value() {
	pg_value postgres "SELECT $2 FROM pg_database WHERE datname = '$1'"
}
empty_dir() {
	[ -d "$1" ] && [ -z "$(ls -A "$1")" ]
}
# untouched NAME DB: both directories still empty, no database DB.
untouched() {
	empty_dir "$WORK/$1/vault" && empty_dir "$WORK/$1/dump" && no_db "$2"
}

# The newest set, with the defaults but for the database name (and the
# locale where de_DE.utf8 is missing). Not a terminal: no question.
fresh r1
recover r1 rec1 </dev/null >"$WORK/out" 2>"$WORK/err"
check "recover-from-backup of the newest set" test $? -eq 0
diag "$(cat "$WORK/out" "$WORK/err")"
check "... nothing on stderr" test ! -s "$WORK/err"
check "... no question asked (stdin is not a terminal)" sh -c "! grep -q 'which set' '$WORK/out'"
check "... names the set" grep -q "^recover-from-backup: set $inc_id (incremental, " "$WORK/out"
check "... says each step as it goes" sh -c "grep -q '^recover-from-backup: restoring the vault' '$WORK/out' &&
    grep -q '^recover-from-backup: writing the dump ecs-pgdump/ecs_src.pgdump' '$WORK/out' &&
    grep -q \"^recover-from-backup: restoring database 'rec1'\" '$WORK/out'"
check "... and at the end what it did and how long it took" sh -c "grep -q '^recover-from-backup: done in [0-9.]* s, from set $inc_id' '$WORK/out' &&
    grep -q '^  vault: *$WORK/r1/vault: ' '$WORK/out' && grep -q '^  dump: *$WORK/r1/dump/ecs_src.pgdump: ' '$WORK/out' &&
    grep -q \"^  database: 'rec1' on PostgreSQL at .*, locale $LOCALE, owner app\" '$WORK/out'"
check "... the vault is night 1's tree" "$TREEDIFF" "$WORK/snap1" "$WORK/r1/vault"
check "... restored into the vault directory itself (no stored top-level name, no staging left)" \
    sh -c "test ! -e '$WORK/r1/vault/ecs-storage-vault' && ! ls -A '$WORK/r1/vault' | grep -q '^\.tresor'"
check "... the dump file is in the dump directory, under its stored name" \
    test "$(ls -A "$WORK/r1/dump")" = ecs_src.pgdump
"$TRESOR" fetch --quiet --from "$T" --key-file "$WORK/k.sec.asc" \
    ecs-pgdump/ecs_src.pgdump "$WORK/fetched.pgdump" || bail "fetch"
check "... the dump as fetch gives it" cmp -s "$WORK/fetched.pgdump" "$WORK/r1/dump/ecs_src.pgdump"
check "... a dump pg_restore reads" \
    sh -c "pg_restore --list '$WORK/r1/dump/ecs_src.pgdump' | grep -q 'TABLE DATA public submissions'"
pg_plain rec1 >"$WORK/rec1.sql"
check "... the database has night 1's content" cmp -s "$WORK/snap1.sql" "$WORK/rec1.sql"
check "... a query gives night 1's rows" \
    test "$(pg_value rec1 "SELECT count(*) || ' ' || max(title) FROM submissions WHERE title LIKE '%geändert%'")" = \
    "$(pg_value ecs_src "SELECT count(*) || ' ' || max(title) FROM submissions WHERE title LIKE '%geändert%'")"
check "... owned by app (the default owner)" test "$(db_value rec1 'pg_get_userbyid(datdba)')" = app
check "... with locale $LOCALE" test "$(db_value rec1 datcollate)" = "$LOCALE"
check "... and UTF8" test "$(db_value rec1 'pg_encoding_to_char(encoding)')" = UTF8

# --set, --time; --only-restore makes no database.
fresh r2
recover r2 rec2 --set "$full_id" --only-restore </dev/null >"$WORK/out" 2>"$WORK/err"
check "recover-from-backup --set FULL --only-restore" test $? -eq 0
diag "$(cat "$WORK/out" "$WORK/err")"
check "... the vault is night 0's tree" "$TREEDIFF" "$WORK/snap0" "$WORK/r2/vault"
check "... the dump file is there" test -s "$WORK/r2/dump/ecs_src.pgdump"
check "... no database was created" no_db rec2
check "... and the summary says so" grep -q '^  database: not created (--only-restore)' "$WORK/out"
fresh r3
recover r3 rec3 --time "$(at 0)" --quiet </dev/null >"$WORK/out" 2>&1
check "recover-from-backup --time of night 0 --quiet" test $? -eq 0
check "... prints nothing" test ! -s "$WORK/out"
check "... the vault is night 0's tree" "$TREEDIFF" "$WORK/snap0" "$WORK/r3/vault"
pg_plain rec3 >"$WORK/rec3.sql"
check "... the database has night 0's content" cmp -s "$WORK/snap0.sql" "$WORK/rec3.sql"

# On a terminal: the sets are listed, a bad answer asks again, "2" picks
# the second (night 0's full set).
cat >"$WORK/answer-tty.py" <<'EOF'
# answer-tty.py LOG ANSWER... -- COMMAND...: run COMMAND on a pseudo-terminal;
# answer each "which set?" question with the next ANSWER ("EOF": Ctrl-D,
# "INT": Ctrl-C);
# LOG gets everything it wrote; exit with its status.
import os, pty, select, sys, time
sep = sys.argv.index("--")
log, answers, argv = sys.argv[1], sys.argv[2:sep], sys.argv[sep + 1:]
pid, fd = pty.fork()
if pid == 0:
    os.execv(argv[0], argv)
out, asked, deadline = b"", 0, time.time() + 120
while time.time() < deadline:
    if select.select([fd], [], [], 1)[0]:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    if asked < len(answers) and out.count(b"Recover from which set?") > asked:
        a = answers[asked]
        os.write(fd, {"EOF": b"\x04", "INT": b"\x03"}.get(a, a.encode() + b"\n"))
        asked += 1
open(log, "wb").write(out)
status = os.waitpid(pid, 0)[1]
sys.exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status))
EOF
fresh r4
python3 "$WORK/answer-tty.py" "$WORK/tty" x 9 2 -- "$TRESOR" recover-from-backup --yes-i-am-sure \
    --from "$T" --key-file "$WORK/k.sec.asc" --vault "$WORK/r4/vault" \
    --dump-dir "$WORK/r4/dump" --database rec4 $LOCALE_OPT
check "on a terminal: answered 'x', '9', then '2'" test $? -eq 0
diag "$(tr -d '\r' <"$WORK/tty" | head -n 12)"
check "... the sets are listed, newest first, with time, type and size" \
    sh -c "tr -d '\r' <'$WORK/tty' | grep -Eq '^ +1  2026-01-02T00:30:00Z  incremental +[0-9.]+ [KMG]?i?B  $inc_id\$' &&
    tr -d '\r' <'$WORK/tty' | grep -Eq '^ +2  2026-01-01T00:30:00Z  full +[0-9.]+ [KMG]?i?B  $full_id\$'"
check "... a bad answer asks again" \
    sh -c "grep -q \"'x' is not a number from 1 to 2\" '$WORK/tty' && grep -q \"'9' is not a number from 1 to 2\" '$WORK/tty' &&
    [ \$(grep -o 'Recover from which set?' '$WORK/tty' | wc -l) -eq 3 ]"
check "... '2' chose night 0's full set" grep -q "^recover-from-backup: set $full_id (full, " "$WORK/tty"
check "... the vault is night 0's tree" "$TREEDIFF" "$WORK/snap0" "$WORK/r4/vault"
pg_plain rec4 >"$WORK/rec4.sql"
check "... the database has night 0's content" cmp -s "$WORK/snap0.sql" "$WORK/rec4.sql"

fresh r5
python3 "$WORK/answer-tty.py" "$WORK/tty" EOF -- "$TRESOR" recover-from-backup --yes-i-am-sure \
    --from "$T" --key-file "$WORK/k.sec.asc" --vault "$WORK/r5/vault" \
    --dump-dir "$WORK/r5/dump" --database rec5 $LOCALE_OPT
check "on a terminal: end of input (Ctrl-D) at the question stops it" test $? -ne 0
check "... saying no set was chosen" grep -q 'tresor: no set chosen (end of input): nothing was changed' "$WORK/tty"
check "... and touches nothing" untouched r5 rec5

fresh r5
python3 "$WORK/answer-tty.py" "$WORK/tty" INT -- "$TRESOR" recover-from-backup --yes-i-am-sure \
    --from "$T" --key-file "$WORK/k.sec.asc" --vault "$WORK/r5/vault" \
    --dump-dir "$WORK/r5/dump" --database rec5 $LOCALE_OPT
check "on a terminal: Ctrl-C at the question stops it at once (130)" test $? -eq 130
check "... saying so" grep -q 'tresor: interrupted by SIGINT' "$WORK/tty"
check "... and touches nothing" untouched r5 rec5

fresh r6
python3 "$WORK/answer-tty.py" "$WORK/tty" "" -- "$TRESOR" recover-from-backup --yes-i-am-sure \
    --from "$T" --key-file "$WORK/k.sec.asc" --vault "$WORK/r6/vault" \
    --dump-dir "$WORK/r6/dump" --database rec6 $LOCALE_OPT --only-restore
check "on a terminal: Enter takes the newest set" \
    sh -c "grep -q '^recover-from-backup: set $inc_id' '$WORK/tty' && '$TREEDIFF' '$WORK/snap1' '$WORK/r6/vault'"

fresh r7
python3 "$WORK/answer-tty.py" "$WORK/tty" -- "$TRESOR" recover-from-backup --yes-i-am-sure \
    --from "$T" --key-file "$WORK/k.sec.asc" --vault "$WORK/r7/vault" \
    --dump-dir "$WORK/r7/dump" --database rec7 $LOCALE_OPT --set "$full_id" --only-restore
check "on a terminal with --set: no question" \
    sh -c "! grep -q 'which set' '$WORK/tty' && grep -q '^recover-from-backup: set $full_id' '$WORK/tty'"

# Every precondition: one line, non-zero, nothing touched.
# refused NAME DB DESCRIPTION PATTERN COMMAND...: the command fails with one
# line matching PATTERN and leaves NAME's directories and database DB alone.
refused() {
	r_name=$1 r_db=$2 r_desc=$3 r_pattern=$4
	shift 4
	"$@" </dev/null >"$WORK/out" 2>"$WORK/err"
	rc=$?
	check "$r_desc: refused" test "$rc" -ne 0
	diag "$(cat "$WORK/err")"
	check "... with one line" one_line_error "$WORK/err"
	check "... saying why" grep -Eq "$r_pattern" "$WORK/err"
	check "... touching nothing" untouched "$r_name" "$r_db"
}
fresh p
refused p recp "without --yes-i-am-sure" 'give --yes-i-am-sure' \
    "$TRESOR" recover-from-backup --from "$T" --key-file "$WORK/k.sec.asc" \
    --vault "$WORK/p/vault" --dump-dir "$WORK/p/dump" --database recp $LOCALE_OPT

printf 'already here\n' >"$WORK/p/vault/old.txt"
recover p recp </dev/null >"$WORK/out" 2>"$WORK/err"
check "a vault directory that is not empty: refused" test $? -ne 0
diag "$(cat "$WORK/err")"
check "... with one line" one_line_error "$WORK/err"
check "... naming it" grep -q "the vault directory '$WORK/p/vault' is not empty" "$WORK/err"
check "... touching nothing" sh -c "[ \"\$(ls -A '$WORK/p/vault')\" = old.txt ] && [ -z \"\$(ls -A '$WORK/p/dump')\" ] &&
    [ \"\$(cat '$WORK/p/vault/old.txt')\" = 'already here' ]"
check "... and creating no database" no_db recp

fresh p
rmdir "$WORK/p/dump"
recover p recp </dev/null >"$WORK/out" 2>"$WORK/err"
check "a dump directory that does not exist: refused" test $? -ne 0
diag "$(cat "$WORK/err")"
check "... with one line" one_line_error "$WORK/err"
check "... naming it" grep -q "the dump directory '$WORK/p/dump' does not exist" "$WORK/err"
check "... touching nothing" sh -c "empty_dir() { [ -d \"\$1\" ] && [ -z \"\$(ls -A \"\$1\")\" ]; }; empty_dir '$WORK/p/vault' && test ! -e '$WORK/p/dump'"
check "... and creating no database" no_db recp

# A vault path that is a file is no directory to fill.
fresh p
rmdir "$WORK/p/vault"
printf 'a file\n' >"$WORK/p/vault"
recover p recp </dev/null >"$WORK/out" 2>"$WORK/err"
check "a vault path that is a file: refused" test $? -ne 0
check "... with one line" one_line_error "$WORK/err"
check "... naming it and why" grep -q "unable to read the vault directory '$WORK/p/vault': Not a directory" "$WORK/err"
check "... touching nothing" sh -c "[ \"\$(cat '$WORK/p/vault')\" = 'a file' ] && [ -z \"\$(ls -A '$WORK/p/dump')\" ]"
check "... and creating no database" no_db recp

fresh p
refused p recp "--only-restore without --yes-i-am-sure" \
    "fills '$WORK/p/vault' and '$WORK/p/dump': give --yes-i-am-sure" \
    "$TRESOR" recover-from-backup --only-restore --from "$T" \
    --key-file "$WORK/k.sec.asc" --vault "$WORK/p/vault" \
    --dump-dir "$WORK/p/dump" --database recp $LOCALE_OPT

# A user who may not create databases is told so before anything is made.
pg_sql "CREATE ROLE weak LOGIN" || bail "CREATE ROLE weak"
fresh p
refused p recp "a user without CREATEDB" \
    "may not create databases \\(it needs CREATEDB\\): see --pg-user" \
    "$TRESOR" recover-from-backup --yes-i-am-sure --from "$T" \
    --key-file "$WORK/k.sec.asc" --vault "$WORK/p/vault" \
    --dump-dir "$WORK/p/dump" --database recp --pg-user weak $LOCALE_OPT

fresh p
pg_sql "CREATE DATABASE existing" && pg_sql_in existing "CREATE TABLE keep (v text); INSERT INTO keep VALUES ('mine')" ||
    bail "CREATE DATABASE existing"
recover p existing </dev/null >"$WORK/out" 2>"$WORK/err"
check "a database that exists: refused" test $? -ne 0
diag "$(cat "$WORK/err")"
check "... with one line" one_line_error "$WORK/err"
check "... saying it exists" grep -q "database 'existing' already exists" "$WORK/err"
check "... touching nothing" sh -c "empty_dir() { [ -d \"\$1\" ] && [ -z \"\$(ls -A \"\$1\")\" ]; }; empty_dir '$WORK/p/vault' && empty_dir '$WORK/p/dump'"
check "... and the database is as it was" test "$(pg_value existing "SELECT string_agg(v, ',') FROM keep")" = mine

refused p recp "a target with no sets" "no complete backup set in file://$WORK/empty-target" \
    "$TRESOR" recover-from-backup --yes-i-am-sure --from "file://$WORK/empty-target" \
    --key-file "$WORK/k.sec.asc" --vault "$WORK/p/vault" --dump-dir "$WORK/p/dump" \
    --database recp $LOCALE_OPT
for key in other.sec.asc k.pub.asc; do
	refused p recp "the wrong key ($key)" 'no secret key for this set' \
	    "$TRESOR" recover-from-backup --yes-i-am-sure --from "$T" \
	    --key-file "$WORK/$key" --vault "$WORK/p/vault" --dump-dir "$WORK/p/dump" \
	    --database recp $LOCALE_OPT
	check "... not called damage" sh -c "! grep -Eqi 'corrupt|damage' '$WORK/err'"
done
refused p recp "a locale the server's host lacks" "locale 'xx_XX.utf8' is not available" \
    recover p recp --locale xx_XX.utf8
if [ "$LOCALE" != de_DE.utf8 ]; then
	refused p recp "the default locale de_DE.utf8, missing here" "locale 'de_DE.utf8' is not available" \
	    "$TRESOR" recover-from-backup --yes-i-am-sure --from "$T" \
	    --key-file "$WORK/k.sec.asc" --vault "$WORK/p/vault" --dump-dir "$WORK/p/dump" \
	    --database recp
fi
refused p recp "an owner that does not exist" "role 'nosuchrole', the owner asked for, does not exist" \
    recover p recp --owner nosuchrole
refused p recp "a --set that is not there" "no complete set 20200101T000000Z.full" \
    recover p recp --set 20200101T000000Z.full

# A set whose dump and vault have other stored names: the dump keeps its
# name (no name is assumed), the vault goes into the vault directory.
mkdir -p "$WORK/target2"
cp -a "$WORK/snap1" "$WORK/data/documents"
env TRESOR_NOW="$(at 2)" "$TRESOR" backup --quiet --to "file://$WORK/target2" \
    --key-file "$WORK/k.pub.asc" --pg-database ecs_src --pg-dump-path backupdb/ecs.pg_dump \
    "$WORK/data/documents" || bail "backup to target2"
fresh r8
"$TRESOR" recover-from-backup --yes-i-am-sure --from "file://$WORK/target2" \
    --key-file "$WORK/k.sec.asc" --vault "$WORK/r8/vault" --dump-dir "$WORK/r8/dump" \
    --database rec8 $LOCALE_OPT </dev/null >"$WORK/out" 2>&1
check "a set with the dump at backupdb/ecs.pg_dump and the vault as 'documents'" test $? -eq 0
diag "$(cat "$WORK/out")"
check "... the dump file is ecs.pg_dump" test "$(ls -A "$WORK/r8/dump")" = ecs.pg_dump
check "... the vault is the tree" "$TREEDIFF" "$WORK/snap1" "$WORK/r8/vault"
pg_plain rec8 >"$WORK/rec8.sql"
check "... the database has its content" cmp -s "$WORK/snap1.sql" "$WORK/rec8.sql"

# Failures after the start say what was left.
mkdir -p "$WORK/target3"
cp -a "$WORK/target/." "$WORK/target3/"
rm "$WORK/target3"/tresor.*.vol*.gpg
fresh r9
recover r9 rec9 --from "file://$WORK/target3" </dev/null >"$WORK/out" 2>"$WORK/err"
check "volumes missing: the vault step fails" test $? -ne 0
diag "$(cat "$WORK/err")"
# One line per file that could not be restored, then one with the cause.
check "... naming each file not restored, then one line with the cause" \
    sh -c "[ \$(grep -vc \"^tresor: not restored: '\") -eq 1 ] &&
    tail -n 1 '$WORK/err' | grep -q 'could not be restored (named above)'" <"$WORK/err"
check "... saying the vault directory was left partly filled" \
    grep -q "the vault directory '$WORK/r9/vault' was left partly filled" "$WORK/err"
check "... and the rest untouched" sh -c "[ -z \"\$(ls -A '$WORK/r9/dump')\" ]" 
check "... no database" no_db rec9

mkdir -p "$WORK/bin-cut"
for f in "$PG_BINDIR"/*; do ln -s "$f" "$WORK/bin-cut/"; done
rm "$WORK/bin-cut/pg_restore"
printf '#!/bin/sh\ncase "$1" in --version) exec %s/pg_restore "$@" ;; esac\nhead -c 3000 | %s/pg_restore "$@"\n' \
    "$PG_BINDIR" "$PG_BINDIR" >"$WORK/bin-cut/pg_restore"
chmod 755 "$WORK/bin-cut/pg_restore"
fresh r10
recover r10 rec10 --pg-bindir "$WORK/bin-cut" </dev/null >"$WORK/out" 2>"$WORK/err"
check "pg_restore failing: the database step fails" test $? -ne 0
diag "$(cat "$WORK/err")"
check "... with one line" one_line_error "$WORK/err"
check "... saying the vault and the dump were restored" \
    grep -q "the vault was restored into '$WORK/r10/vault' and the dump into '$WORK/r10/dump/ecs_src.pgdump'" "$WORK/err"
check "... and the database dropped again" sh -c "grep -q \"database 'rec10' was dropped again\" '$WORK/err'"
check "... which it was" no_db rec10
check "... the vault is there" "$TREEDIFF" "$WORK/snap1" "$WORK/r10/vault"

# Run as recover-from-backup (an installed symlink).
mkdir -p "$WORK/bin"
# The binary itself (argv[0] is what is tested), not lib.sh's wrapper;
# the seals are checked with the keys this host's cache keeps.
ln -s "$TRESOR_REAL" "$WORK/bin/recover-from-backup"
check "recover-from-backup --help (a symlink to tresor)" \
    sh -c "'$WORK/bin/recover-from-backup' --help | grep -q '^usage: tresor recover-from-backup --yes-i-am-sure'"
fresh r11
"$WORK/bin/recover-from-backup" --yes-i-am-sure --from "$T" --key-file "$WORK/k.sec.asc" \
    --vault "$WORK/r11/vault" --dump-dir "$WORK/r11/dump" --database rec11 $LOCALE_OPT \
    </dev/null >"$WORK/out" 2>&1
check "recover-from-backup through the symlink" test $? -eq 0
check "... the vault" "$TREEDIFF" "$WORK/snap1" "$WORK/r11/vault"
pg_plain rec11 >"$WORK/rec11.sql"
check "... the database" cmp -s "$WORK/snap1.sql" "$WORK/rec11.sql"
fresh p
refused p recp "through the symlink, without --yes-i-am-sure" 'give --yes-i-am-sure' \
    "$WORK/bin/recover-from-backup" --from "$T" --key-file "$WORK/k.sec.asc" \
    --vault "$WORK/p/vault" --dump-dir "$WORK/p/dump" --database recp

done_testing
