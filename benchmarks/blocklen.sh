#!/bin/sh
# blocklen.sh: the signature block length of a database dump against the
# size of the next night's incremental and of the signature, next to
# restic for the same change (issue 20).
#
#   benchmarks/blocklen.sh [--scale 10]
#       [--blocks "default 256 512 768 1024 1536 2048 4096 8192"]
#                          [--tresor BIN] [--out FILE]
#
# A throwaway PostgreSQL cluster (tests/integration/pglib.sh) holds a
# pgbench database (pgbench -i -s SCALE: 100,000 accounts rows per scale
# unit) plus 20,000 pgbench_history rows per scale unit. Two changes of it:
# - scattered: 2% of the accounts rows updated, every 50th
#   (UPDATE ... WHERE aid % 50 = 0);
# - clustered: 2% new accounts rows appended, and pgbench_history
#   rewritten (every row's delta changed).
# The three states are template databases; the database tresor and restic
# dump (always named "bench", so that its dump has one stored path) is
# re-created from a template before each dump, so every run sees the same
# bytes. For each block length B (TRESOR_DUMP_BLOCK_LEN, the floor of
# backup/stream.c's choice; "default": tresor's own choice): a full backup of the base state, then an
# incremental of each change, each against the full (tresor stores a
# dump's delta against its last whole version). Stored sizes are bytes the
# target gained (du -b); the signature is the full set's signatures object.
# restic: three fresh repositories per change (its default: format 2, auto
# compression), a snapshot of the base dump then one of the changed dump,
# pg_dump --format=custom --compress=0 as tresor runs it.
set -u

scale=10
blocks="default 256 512 768 1024 1536 2048 4096 8192"
top=$(cd "$(dirname "$0")/.." && pwd)
TRESOR=$top/tresor
PEAKRSS=$top/tests/helpers/peakrss
out=
while [ $# -gt 0 ]; do
	case $1 in
	--scale) scale=$2; shift 2 ;;
	--blocks) blocks=$2; shift 2 ;;
	--tresor) TRESOR=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	*) echo "blocklen.sh: unknown argument '$1'" >&2; exit 2 ;;
	esac
done

WORK=$(mktemp -d "${TMPDIR:-/var/tmp}/tresor-blocklen.XXXXXX")
chmod 755 "$WORK"
bail() {
	echo "blocklen.sh: $*" >&2
	exit 1
}
cleanup_work() {
	rm -rf "$WORK"
}
[ -x "$TRESOR" ] || bail "'$TRESOR' is not executable (build first)"
[ -x "$PEAKRSS" ] || bail "'$PEAKRSS' is not executable (make tests/helpers/peakrss)"
for tool in restic gpg python3 zstd; do
	command -v $tool >/dev/null || bail "$tool is missing (apt-get install $tool)"
done
# Starts the cluster, stops it on exit (by its postmaster's PID).
. "$top/tests/integration/pglib.sh"
[ -x "$PG_BINDIR/pgbench" ] || bail "no pgbench in $PG_BINDIR"

log() {
	echo "blocklen.sh: $*" >&2
}
sql() {
	pg_sql_in "$1" "$2" || bail "SQL in $1 failed: $2"
}

log "pgbench -i -s $scale"
sql postgres "CREATE DATABASE base"
"$PG_BINDIR/pgbench" -i -q -s "$scale" base >"$WORK/pgbench.log" 2>&1 ||
    bail "pgbench -i failed: $(tail -n 3 "$WORK/pgbench.log")"
n=$((scale * 100000))
sql base "INSERT INTO pgbench_history (tid, bid, aid, delta, mtime)
SELECT i % ($scale * 10) + 1, i % $scale + 1, i % $n + 1, i % 1000 - 500,
    timestamp '2026-01-01' + i * interval '1 second'
FROM generate_series(1, $scale * 20000) AS i;
VACUUM ANALYZE"
sql postgres "CREATE DATABASE scattered TEMPLATE base"
sql scattered "UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid % 50 = 0"
sql postgres "CREATE DATABASE clustered TEMPLATE base"
sql clustered "INSERT INTO pgbench_accounts (aid, bid, abalance, filler)
SELECT aid, (aid - 1) / 100000 + 1, 0, '' FROM generate_series($n + 1, $n + $n / 50) AS aid;
UPDATE pgbench_history SET delta = delta + 1"

# use STATE: the database "bench" is a fresh copy of template STATE.
use() {
	sql postgres "DROP DATABASE IF EXISTS bench"
	sql postgres "CREATE DATABASE bench TEMPLATE $1"
}

size() {
	du -sb "$1" | cut -f 1
}

# sig_block_len OBJECT: the Block_Len of the first librsync signature in a
# signatures object (docs/FORMAT.md, Signature bytes: magic 72 73 01 37,
# then Block_Len, u32 big-endian).
sig_block_len() {
	GNUPGHOME="$WORK/gnupg" gpg --batch --quiet --decrypt "$1" 2>/dev/null |
	    zstd -q -d -c | python3 -c 'import struct, sys
d = sys.stdin.buffer.read()
i = d.find(b"rs\x017")
print(struct.unpack(">I", d[i + 4:i + 8])[0] if i >= 0 else "none")'
}

log "making a key"
mkdir -p "$WORK/gnupg" && chmod 700 "$WORK/gnupg"
GNUPGHOME="$WORK/gnupg" gpg --batch --quiet --passphrase '' \
    --quick-gen-key "tresor blocklen <blocklen@tresor.invalid>" \
    future-default default never >/dev/null 2>&1 || bail "gpg key generation failed"
GNUPGHOME="$WORK/gnupg" gpg --batch --armor --export >"$WORK/k.pub.asc"

# Dump sizes, and restic, once per change.
mkdir -p "$WORK/dumps"
for state in base scattered clustered; do
	use $state
	pg_dump --format=custom --compress=0 --file="$WORK/dumps/$state.pgdump" bench ||
	    bail "pg_dump of $state failed"
done
dump_mb=$(size "$WORK/dumps/base.pgdump")
printf 'tresor-blocklen\n' >"$WORK/restic-pass"
RESTIC_PASSWORD_FILE=$WORK/restic-pass
export RESTIC_PASSWORD_FILE
# restic picks a random chunker polynomial for each repository, so the same
# change costs it more or less depending on where its chunks happen to cut:
# three repositories per change, the median (and the range) reported.
median() {
	tr ' ' '\n' | sed '/^$/d' | sort -n | sed -n 2p
}
range() {
	tr ' ' '\n' | sed '/^$/d' | sort -n | awk 'NR == 1 { lo = $1 } { hi = $1 }
	    END { printf "%.3f-%.3f", lo / 1e6, hi / 1e6 }'
}
for change in scattered clustered; do
	incs=
	fulls=
	for rep in 1 2 3; do
		repo=$WORK/restic-$change-$rep
		log "restic: base, then $change (repository $rep)"
		restic --quiet --cache-dir "$WORK/restic-cache" -r "$repo" init >/dev/null ||
		    bail "restic init failed"
		mkdir -p "$WORK/rsrc"
		cp "$WORK/dumps/base.pgdump" "$WORK/rsrc/bench.pgdump"
		restic --quiet --cache-dir "$WORK/restic-cache" -r "$repo" backup "$WORK/rsrc" >/dev/null ||
		    bail "restic backup failed"
		before=$(size "$repo")
		cp "$WORK/dumps/$change.pgdump" "$WORK/rsrc/bench.pgdump"
		restic --quiet --cache-dir "$WORK/restic-cache" -r "$repo" backup "$WORK/rsrc" >/dev/null ||
		    bail "restic backup failed"
		incs="$incs $(( $(size "$repo") - before ))"
		fulls="$fulls $before"
	done
	eval "restic_$change=$(echo "$incs" | median)"
	eval "restic_range_$change=$(echo "$incs" | range)"
	eval "restic_full_$change=$(echo "$fulls" | median)"
done
restic_chain=$((restic_full_scattered + 60 * restic_scattered))
restic_version=$(restic --quiet -r "$WORK/restic-scattered-1" cat config |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["version"])')

rows=
for b in $blocks; do
	t=$WORK/t$b
	mkdir -p "$t"
	TRESOR_CACHE_DIR=$WORK/cache$b
	export TRESOR_CACHE_DIR
	log "tresor, block length $b: full"
	use base
	env=TRESOR_DUMP_BLOCK_LEN=$b
	[ "$b" = default ] && env=TRESOR_DUMP_BLOCK_LEN=
	env "$env" TRESOR_NOW=2026-01-01T01:00:00Z "$TRESOR" backup --quiet \
	    --to "file://$t" --key-file "$WORK/k.pub.asc" --pg-database bench ||
	    bail "tresor full backup (block length $b) failed"
	full=$(size "$t")
	sig=$(size "$(ls "$t"/*.sigs.gpg)")
	got=$(sig_block_len "$(ls "$t"/*.sigs.gpg)")
	[ "$b" = default ] || [ "$got" = "$b" ] ||
	    bail "asked for block length $b, the signature has $got"
	label=$b
	[ "$b" = default ] && label="default ($got)"
	row="| $label | $(awk -v s="$sig" -v d="$dump_mb" 'BEGIN { printf "%.2f | %.2f", s / 1e6, s / d * 100 }') | $(awk -v f="$full" 'BEGIN { printf "%.2f", f / 1e6 }')"
	night=2
	for change in scattered clustered; do
		log "tresor, block length $b: $change"
		use $change
		before=$(size "$t")
		TRESOR_NOW=2026-01-0${night}T01:00:00Z "$PEAKRSS" "$WORK/rss" \
		    "$TRESOR" backup --quiet \
		    --to "file://$t" --key-file "$WORK/k.pub.asc" --pg-database bench ||
		    bail "tresor incremental ($change, block length $b) failed"
		inc=$(( $(size "$t") - before ))
		if [ $change = scattered ]; then
			chain=$((full + 60 * inc))
			rss=$(awk -v k="$(cat "$WORK/rss")" 'BEGIN { printf "%.1f", k * 1024 / 1e6 }')
		fi
		eval "r=\$restic_$change"
		row="$row | $(awk -v i="$inc" -v r="$r" 'BEGIN { printf "%.3f | %.2fx", i / 1e6, i / r }')"
		night=$((night + 1))
	done
	row="$row | $(awk -v c="$chain" -v r="$restic_chain" 'BEGIN { printf "%.1f | %.2fx", c / 1e6, c / r }') | $rss |"
	log "$row"
	rows="$rows$row
"
done

report() {
	echo "# Dump signature block length vs incremental and signature size, $(date -u '+%Y-%m-%d %H:%M') UTC"
	echo
	echo "Command: \`benchmarks/blocklen.sh --scale $scale --blocks \"$blocks\"\`"
	echo
	echo "- tresor: $("$TRESOR" --version 2>&1 | head -n 1)"
	echo "- restic: $(restic version | head -n 1), repository format $restic_version (default compression)"
	echo "- PostgreSQL: $("$PG_BINDIR/postgres" --version)"
	echo "- database: pgbench -i -s $scale ($n accounts rows) + $((scale * 20000)) pgbench_history rows; dump (custom, -Z0): $(awk -v d="$dump_mb" 'BEGIN { printf "%.1f", d / 1e6 }') MB"
	echo "- scattered: 2% of accounts rows updated, every 50th (UPDATE ... WHERE aid % 50 = 0)"
	echo "- clustered: 2% new accounts rows appended, pgbench_history rewritten (every row)"
	echo
	echo "MB = 10^6 bytes, stored bytes (after zstd and gpg). Sig = the full set's"
	echo "signatures object; % dump = of the dump's uncompressed size. Incrementals are"
	echo "each against the full (a dump's delta is against its last whole version)."
	echo "Chain = full + 60 x the scattered incremental: the appliance's two months"
	echo "between fulls if every night changed the dump that much. Incr peak RSS:"
	echo "tresor's largest process during the scattered incremental (the loaded"
	echo "signature is most of what grows), from tests/helpers/peakrss."
	echo
	echo "restic, median of 3 repositories (each picks its own random chunker"
	echo "polynomial; range in brackets): full $(awk -v a="$restic_full_scattered" 'BEGIN { printf "%.2f", a / 1e6 }') MB;" \
	    "scattered incremental $(awk -v a="$restic_scattered" 'BEGIN { printf "%.3f", a / 1e6 }') MB ($restic_range_scattered)," \
	    "clustered incremental $(awk -v a="$restic_clustered" 'BEGIN { printf "%.3f", a / 1e6 }') MB ($restic_range_clustered);" \
	    "chain $(awk -v a="$restic_chain" 'BEGIN { printf "%.1f", a / 1e6 }') MB. The x restic columns divide by the medians."
	echo
	echo "| block length | sig MB | sig % dump | full MB | scattered incr MB | x restic | clustered incr MB | x restic | chain MB | x restic | incr peak RSS MB |"
	echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
	printf '%s' "$rows"
}
if [ -n "$out" ]; then
	report >"$out"
	log "wrote $out"
else
	report
fi
