#!/bin/sh
# dump-blocklen.sh: a database dump's signature has 512-byte blocks (issue
# 20: a row changed here and there costs one block of delta; see
# benchmarks/blocklen.sh for the curve the value comes from), so that 2% of
# a pgbench table's rows changed, every 50th, store well under half what
# the former 2 KiB blocks stored; the delta restores byte for byte; and a
# bad TRESOR_DUMP_BLOCK_LEN is refused in one line with nothing published.
. "$TOP_SRCDIR/tests/integration/lib.sh"
. "$TOP_SRCDIR/tests/integration/pglib.sh"

[ -x "$PG_BINDIR/pgbench" ] || bail "no pgbench in $PG_BINDIR (Debian's postgresql package ships it)"
make_key k

pg_sql "CREATE DATABASE base"
"$PG_BINDIR/pgbench" -i -q -s 2 base >"$WORK/pgbench.log" 2>&1 ||
    bail "pgbench -i failed: $(tail -n 3 "$WORK/pgbench.log")"
pg_sql "CREATE DATABASE changed TEMPLATE base" || bail "template"
pg_sql_in changed "UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid % 50 = 0" ||
    bail "update"

# use STATE: the database app is a fresh copy of template STATE.
use() {
	pg_sql "DROP DATABASE IF EXISTS app" && pg_sql "CREATE DATABASE app TEMPLATE $1" ||
	    bail "could not copy $1"
}
size() {
	du -sb "$1" | cut -f 1
}
# block_len TARGET: Block_Len of the signature in TARGET's signatures object
# (docs/FORMAT.md, Signature bytes: magic 72 73 01 37, u32 big-endian).
block_len() {
	GNUPGHOME="$WORK/gnupg-k" gpg --batch --quiet --decrypt "$(ls "$1"/*.sigs.gpg)" |
	    zstd -q -d -c | python3 -c 'import struct, sys
d = sys.stdin.buffer.read()
i = d.find(b"rs\x017")
print(struct.unpack(">I", d[i + 4:i + 8])[0] if i >= 0 else "none")'
}
# chain NAME [ENV...]: a full of base and an incremental of the change into
# $WORK/NAME; sets FULL and INC (bytes the target gained).
chain() {
	name=$1
	shift
	mkdir -p "$WORK/$name"
	use base
	env TRESOR_CACHE_DIR="$WORK/cache-$name" TRESOR_NOW=2026-01-01T01:00:00Z "$@" \
	    "$TRESOR" backup --quiet --to "file://$WORK/$name" --key-file "$WORK/k.pub.asc" \
	    --pg-database app || bail "full backup ($name)"
	FULL=$(size "$WORK/$name")
	use changed
	env TRESOR_CACHE_DIR="$WORK/cache-$name" TRESOR_NOW=2026-01-02T01:00:00Z "$@" \
	    "$TRESOR" backup --quiet --to "file://$WORK/$name" --key-file "$WORK/k.pub.asc" \
	    --pg-database app || bail "incremental ($name)"
	INC=$(($(size "$WORK/$name") - FULL))
}

chain default
check "the dump's signature has 512-byte blocks" test "$(block_len "$WORK/default")" = 512
inc_default=$INC
chain old TRESOR_DUMP_BLOCK_LEN=2048
check "TRESOR_DUMP_BLOCK_LEN=2048 gives 2048-byte blocks" test "$(block_len "$WORK/old")" = 2048
inc_old=$INC
chain small TRESOR_DUMP_BLOCK_LEN=256
check "TRESOR_DUMP_BLOCK_LEN=256 gives 256-byte blocks (under the default)" \
    test "$(block_len "$WORK/small")" = 256
diag "incremental after 2% of rows changed, every 50th: $inc_default bytes (512), $inc_old bytes (2048)"
check "... and the incremental stores at most 0.6x what 2 KiB blocks stored" \
    test $((inc_default * 10)) -le $((inc_old * 6))

check "the dump restores from the incremental (its SHA-256 checked)" \
    "$TRESOR" restore --quiet --from "file://$WORK/default" --to "$WORK/out" \
    --key-file "$WORK/k.sec.asc"
pg_dump --format=custom --compress=0 --file="$WORK/now.pgdump" app || bail "pg_dump"
# pg_restore's SQL, without the \restrict lines (a random key every run).
sql_of() {
	pg_restore -f - "$1" | grep -v '^\\\(un\)\{0,1\}restrict '
}
sql_of "$WORK/now.pgdump" >"$WORK/now.sql" && sql_of "$WORK/out/ecs-pgdump/app.pgdump" \
    >"$WORK/out.sql" || bail "pg_restore"
check "... and holds the changed database" cmp -s "$WORK/now.sql" "$WORK/out.sql"

for bad in 100 abc 2097152 -512; do
	ls "$WORK/default" >"$WORK/before"
	expect_fail "$WORK/err" env TRESOR_DUMP_BLOCK_LEN=$bad TRESOR_CACHE_DIR="$WORK/cache-default" \
	    "$TRESOR" backup --quiet --to "file://$WORK/default" --key-file "$WORK/k.pub.asc" \
	    --pg-database app
	check "TRESOR_DUMP_BLOCK_LEN=$bad is refused in one line" one_line_error "$WORK/err"
	check "... naming it and the range" grep -q 'TRESOR_DUMP_BLOCK_LEN must be a number of bytes from 256 to 1048576' "$WORK/err"
	ls "$WORK/default" | cmp -s - "$WORK/before"
	check "... and nothing is published" test $? -eq 0
done

done_testing
