#!/bin/sh
# progress-cost.sh: what progress output and the daemon's metrics cost a
# full backup (issue 20: "nothing measurable, within noise").
#
#   benchmarks/progress-cost.sh [--size 1G] [--files 2000] [--reps 5]
#                               [--tresor BIN] [--out FILE]
#
# One vault (gen-dataset, seed 1). Each repetition runs five full backups
# of it into fresh targets and caches, one after the other, in an order
# that turns with the repetition (so no variant always runs first):
#   quiet    tresor backup --quiet (no progress at all)
#   live     tresor backup, its stderr a terminal (script(1)): the live
#            line, redrawn four times a second
#   log      TRESOR_PROGRESS_INTERVAL=1: a progress line every second
#   daemon   backupd --once with an env.yml of that backup (the daemon's
#            own path: progress in log mode, a line a minute), its metrics
#            file in a directory that does not exist (the write fails at
#            once: backupd has no setting without metrics)
#   metrics  the same with a metrics file that is written (at the start
#            and the end of the job)
# Wall times are medians; the noise is the spread (max - min) of the
# runs a variant is held to: live and log to quiet, metrics to daemon. A
# variant costs "nothing measurable" when its median is within that
# spread of the other's median.
set -u

size=1G
files=2000
reps=5
top=$(cd "$(dirname "$0")/.." && pwd)
TRESOR=$top/tresor
BACKUPD=$top/backupd/backupd
out=
while [ $# -gt 0 ]; do
	case $1 in
	--size) size=$2; shift 2 ;;
	--files) files=$2; shift 2 ;;
	--reps) reps=$2; shift 2 ;;
	--tresor) TRESOR=$2; BACKUPD=$(dirname "$2")/backupd/backupd; shift 2 ;;
	--out) out=$2; shift 2 ;;
	*) echo "progress-cost.sh: unknown argument '$1'" >&2; exit 2 ;;
	esac
done

bail() {
	echo "progress-cost.sh: $*" >&2
	exit 1
}
[ -x "$TRESOR" ] || bail "'$TRESOR' is not executable (build first)"
[ -x "$BACKUPD" ] || bail "'$BACKUPD' is not executable (build first)"
for tool in gpg python3 script; do
	command -v $tool >/dev/null || bail "$tool is missing"
done
WORK=$(mktemp -d "${TMPDIR:-/var/tmp}/tresor-progress.XXXXXX")
trap 'rm -rf "$WORK"' EXIT INT TERM

echo "progress-cost.sh: a $size vault of $files files" >&2
python3 "$top/benchmarks/gen-dataset" --out "$WORK/vault" --size "$size" \
    --files "$files" --seed 1 >/dev/null || bail "gen-dataset failed"
mkdir -p "$WORK/gnupg" && chmod 700 "$WORK/gnupg"
GNUPGHOME="$WORK/gnupg" gpg --batch --quiet --passphrase '' \
    --quick-gen-key "tresor progress <progress@tresor.invalid>" \
    future-default default never >/dev/null 2>&1 || bail "gpg key generation failed"
GNUPGHOME="$WORK/gnupg" gpg --batch --armor --export >"$WORK/k.pub.asc"
# The seals' signing key (the daemon makes its own in its state_dir).
mkdir -p "$WORK/gnupg-sign" && chmod 700 "$WORK/gnupg-sign"
GNUPGHOME="$WORK/gnupg-sign" gpg --batch --quiet --passphrase '' \
    --quick-gen-key "tresor progress seals <seals@tresor.invalid>" \
    ed25519 sign never >/dev/null 2>&1 || bail "gpg signing key generation failed"
GNUPGHOME="$WORK/gnupg-sign" gpg --batch --armor --export-secret-keys \
    >"$WORK/sign.sec.asc"
gpgconf --homedir "$WORK/gnupg" --kill all 2>/dev/null
gpgconf --homedir "$WORK/gnupg-sign" --kill all 2>/dev/null

# now: seconds since the epoch, with nanoseconds.
now() {
	date +%s.%N
}
fresh() {
	rm -rf "$WORK/t" "$WORK/c" "$WORK/metrics" "$WORK/state"
	mkdir -p "$WORK/t" "$WORK/c" "$WORK/metrics" "$WORK/state"
}
# env_yml FILE [LINE]: the appliance's env.yml for this backup (backupd).
env_yml() {
	{
		echo "appliance:"
		echo "  backup:"
		echo "    url: file://$WORK/t"
		echo "    sources: [$WORK/vault]"
		echo "    cache_dir: $WORK/c"
		echo "    state_dir: $WORK/state"
		echo "    deadline: none"
		echo "    database: none"
		echo "    metrics: $2"
		echo "    encrypt: |"
		sed 's/^/      /' "$WORK/k.pub.asc"
	} >"$1"
}
# (backupd always writes metrics; for the job without them, the file is
# in a directory that does not exist: it fails at once, with a warning.)
env_yml "$WORK/daemon.yml" "$WORK/no-such-dir/backup.prom"
env_yml "$WORK/metrics.yml" "$WORK/metrics/backup.prom"

# run VARIANT: one full backup; prints its wall time in seconds.
run() {
	fresh
	t0=$(now)
	case $1 in
	quiet)
		TRESOR_CACHE_DIR=$WORK/c "$TRESOR" backup --quiet \
		    --to "file://$WORK/t" --key-file "$WORK/k.pub.asc" \
		    --sign-key "$WORK/sign.sec.asc" --cache-dir "$WORK/c" \
		    "$WORK/vault" ;;
	live)
		TRESOR_CACHE_DIR=$WORK/c script -qfec "'$TRESOR' backup \
		    --to 'file://$WORK/t' --key-file '$WORK/k.pub.asc' \
		    --sign-key '$WORK/sign.sec.asc' --cache-dir '$WORK/c' \
		    '$WORK/vault'" "$WORK/typescript" \
		    >/dev/null ;;
	log)
		TRESOR_CACHE_DIR=$WORK/c TRESOR_PROGRESS_INTERVAL=1 \
		    "$TRESOR" backup --to "file://$WORK/t" \
		    --key-file "$WORK/k.pub.asc" --cache-dir "$WORK/c" \
		    --sign-key "$WORK/sign.sec.asc" "$WORK/vault" \
		    >/dev/null 2>"$WORK/log.err" ;;
	daemon)
		"$BACKUPD" --config "$WORK/daemon.yml" --once \
		    >"$WORK/backupd.out" 2>&1 ;;
	metrics)
		"$BACKUPD" --config "$WORK/metrics.yml" --once \
		    >"$WORK/backupd.out" 2>&1 ;;
	esac
	rc=$?
	t1=$(now)
	[ $rc -eq 0 ] || bail "the $1 backup failed (exit $rc)$(tail -n 2 \
	    "$WORK/backupd.out" "$WORK/log.err" 2>/dev/null | tr '\n' ' ')"
	case $1 in
	live) grep -q 'backup: ' "$WORK/typescript" ||
	    bail "the live run drew no progress line" ;;
	log) grep -q 'progress: ' "$WORK/log.err" ||
	    bail "the log run wrote no progress line" ;;
	metrics) [ -s "$WORK/metrics/backup.prom" ] ||
	    bail "backupd wrote no metrics file" ;;
	esac
	echo "$t0 $t1" | awk '{ printf "%.3f\n", $2 - $1 }'
}

variants="quiet live log daemon metrics"
: >"$WORK/times"
for rep in $(seq "$reps"); do
	# Turn the order: rep 1 quiet first, rep 2 live first, ...
	order=$(echo $variants | tr ' ' '\n' | awk -v r="$rep" \
	    '{ v[NR - 1] = $0 } END { for (i = 0; i < NR; i++)
	    print v[(i + r - 1) % NR] }')
	for v in $order; do
		s=$(run "$v") || exit 1
		echo "$v $s" >>"$WORK/times"
		echo "progress-cost.sh: rep $rep $v ${s} s" >&2
	done
done

report() {
	echo "# progress and metrics: their cost to a full backup"
	echo
	echo "$(date -u '+%Y-%m-%d %H:%M') UTC, load average at the end: $(cut -d ' ' -f 1-3 /proc/loadavg)"
	echo
	echo "Command: \`benchmarks/progress-cost.sh --size $size --files $files --reps $reps\`"
	echo "($("$TRESOR" --version 2>/dev/null | head -n 1), commit $(git -C "$top" rev-parse --short HEAD 2>/dev/null || echo '?'))"
	echo
	echo "| variant | median wall s | min | max | against | median - its median | within its spread |"
	echo "|---|---:|---:|---:|---|---:|---|"
	awk '
	{ t[$1] = t[$1] " " $2 }
	END {
		split("quiet live log daemon metrics", vs, " ")
		for (k = 1; k <= 5; k++) {
			v = vs[k]; n = split(t[v], a, " ")
			for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++)
				if (a[j] < a[i]) { x = a[i]; a[i] = a[j]; a[j] = x }
			med[v] = n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
			lo[v] = a[1]; hi[v] = a[n]
		}
		# metrics is held to daemon (the same job without the file).
		for (k = 1; k <= 5; k++) {
			v = vs[k]; b = v == "metrics" ? "daemon" : "quiet"
			spread = hi[b] - lo[b]; d = med[v] - med[b]
			printf "| %s | %.3f | %.3f | %.3f | %s | %+.3f s (%+.1f%%) | %s |\n",
			    v, med[v], lo[v], hi[v], b, d, d / med[b] * 100,
			    v == b ? "(noise: " sprintf("%.3f", spread) " s)" :
			    (d <= spread ? "yes" : "NO")
		}
	}' "$WORK/times"
	echo
	echo "Every run (variant, wall s):"
	echo
	sed 's/^/    /' "$WORK/times"
}
if [ -n "$out" ]; then
	report >"$out"
	cat "$out"
else
	report
fi
