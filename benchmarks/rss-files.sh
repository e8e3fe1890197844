#!/bin/sh
# rss-files.sh: how restore's peak RSS grows with the number of files.
#
#   benchmarks/rss-files.sh [--counts "100000 300000 1000000"] [--work DIR]
#                           [--tresor BIN] [--peakrss BIN] [--out FILE]
#
# For each count N: a tree of N small files (16-80 bytes each, 5 per
# directory, paths shaped like the benchmark vault's:
# vault/xx/yyyyyy/doc-nnnnnn-j.pdf), one full backup to a file:// target,
# then a full restore under tests/helpers/peakrss (peak RSS of the largest
# process: tresor itself, gpg runs as a child and is far smaller). The
# manifest has one line per file and directory, so N files make about
# 1.2 N lines. Contents are tiny on purpose: what is measured is the
# per-entry memory, not the data path (which is bounded, see sparse.sh).
# Trees are kept in WORK between runs (delete it to start over).
set -eu

counts="100000 300000 1000000"
work=/var/tmp/tresor-rss-files
top=$(cd "$(dirname "$0")/.." && pwd)
tresor=$top/tresor
peakrss=$top/tests/helpers/peakrss
out=

while [ $# -gt 0 ]; do
	case $1 in
	--counts) counts=$2; shift 2 ;;
	--work) work=$2; shift 2 ;;
	--tresor) tresor=$2; shift 2 ;;
	--peakrss) peakrss=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	*) echo "rss-files.sh: unknown argument '$1'" >&2; exit 2 ;;
	esac
done
for tool in "$tresor" "$peakrss"; do
	[ -x "$tool" ] || { echo "rss-files.sh: '$tool' is not executable (build first)" >&2; exit 2; }
done
for tool in gpg python3; do
	command -v $tool >/dev/null || { echo "rss-files.sh: $tool is missing" >&2; exit 2; }
done
mkdir -p "$work"

if [ ! -f "$work/k.sec.asc" ]; then
	mkdir -p "$work/gnupg" && chmod 700 "$work/gnupg"
	GNUPGHOME="$work/gnupg" gpg --batch --quiet --passphrase '' \
	    --quick-gen-key "tresor rss <rss@tresor.invalid>" future-default default never
	GNUPGHOME="$work/gnupg" gpg --batch --armor --export >"$work/k.pub.asc"
	GNUPGHOME="$work/gnupg" gpg --batch --armor --export-secret-keys >"$work/k.sec.asc"
fi

# make_tree N DIR: N files of 16-80 bytes, 5 per directory, deterministic.
make_tree() {
	python3 - "$1" "$2" <<'PY'
import os, random, sys
n, root = int(sys.argv[1]), sys.argv[2]
r = random.Random(42)
for i in range(n):
    d = "%s/vault/%02x/%06d" % (root, (i // 5) % 256, i // 5)
    if i % 5 == 0:
        os.makedirs(d)
    with open("%s/doc-%06d-%d.pdf" % (d, i, i % 5), "w") as f:
        f.write("%PDF-1.4 " + "x" * r.randint(7, 71))
PY
}

# The gpg-agent the restores started in the key's home: stopped at the end.
trap 'gpgconf --homedir "$work/gnupg" --kill all >/dev/null 2>&1' EXIT

rows=
prev_kib=
prev_lines=
for n in $counts; do
	dir=$work/n$n
	if [ ! -f "$dir/tree.done" ]; then
		rm -rf "$dir"
		mkdir -p "$dir/src"
		echo "rss-files.sh: making $n files in $dir/src" >&2
		make_tree "$n" "$dir/src"
		touch "$dir/tree.done"
	fi
	if [ ! -f "$dir/target.done" ]; then
		rm -rf "$dir/target"; mkdir -p "$dir/target"
		echo "rss-files.sh: backing up $n files" >&2
		"$tresor" backup --quiet --to "file://$dir/target" \
		    --key-file "$work/k.pub.asc" "$dir/src/vault"
		touch "$dir/target.done"
	fi
	lines=$(find "$dir/src/vault" | wc -l)
	rm -rf "$dir/out"
	echo "rss-files.sh: restoring $n files" >&2
	t0=$(date +%s.%N)
	"$peakrss" "$dir/rss" "$tresor" restore --quiet --from "file://$dir/target" \
	    --to "$dir/out" --key-file "$work/k.sec.asc"
	t1=$(date +%s.%N)
	got=$(find "$dir/out/vault" -type f | wc -l)
	[ "$got" -eq "$n" ] || { echo "rss-files.sh: restored $got files, not $n" >&2; exit 1; }
	kib=$(cat "$dir/rss")
	rm -rf "$dir/out"
	row=$(awk -v n="$n" -v l="$lines" -v k="$kib" -v a="$t0" -v b="$t1" \
	    -v pk="$prev_kib" -v pl="$prev_lines" 'BEGIN {
		m = pl == "" ? "" : sprintf("%.0f", (k - pk) * 1024 / (l - pl))
		printf "| %d | %d | %.1f | %.0f | %s | %.1f |", n, l, k * 1024 / 1e6,
		    k * 1024 / l, m, b - a }')
	prev_kib=$kib
	prev_lines=$lines
	echo "$row" >&2
	rows="$rows$row
"
done

report() {
	echo "# restore peak RSS vs number of files, $(date -u '+%Y-%m-%d %H:%M') UTC"
	echo
	echo "Command: \`benchmarks/rss-files.sh --counts \"$counts\"\`"
	echo
	echo "tresor: $("$tresor" --version 2>&1 | head -n 1); $(nproc) cores, $(uname -r)"
	echo
	echo "MB = 10^6 bytes. Manifest entries: files and directories. Bytes per entry:"
	echo "peak RSS / entries (fixed part included); marginal: the growth from the"
	echo "row above, per added entry."
	echo "Wall time is for orientation only (the machine may be shared)."
	echo
	echo "| files | manifest entries | peak RSS MB | bytes per entry | marginal | wall s |"
	echo "|---:|---:|---:|---:|---:|---:|"
	printf '%s' "$rows"
}
if [ -n "$out" ]; then
	report >"$out"
else
	report
fi
