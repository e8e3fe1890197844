#!/bin/sh
# run.sh: build the libFuzzer targets (fuzz/fuzz.mk) and run each for
# SECONDS seconds on its committed seed corpus, one after the other.
# Fails if any target crashes, hangs (-timeout), leaks (LeakSanitizer is
# on) or runs out of memory, and prints one line per target: executions,
# coverage (edges, features) and the corpus it ended with. Run from
# anywhere:
#
#   sh fuzz/run.sh 20              CI's pass (scripts/setup.sh check)
#   FUZZ_TARGETS="url config" sh fuzz/run.sh 600
#   FUZZ_KEEP=DIR sh fuzz/run.sh 900   a campaign: new inputs go to
#                                  DIR/<target>/ (the committed corpus is
#                                  read, never written)
#
# fuzz/build/test-suite.log counts one test per target (for scripts/
# setup.sh). A crash leaves its input as fuzz/build/crash-<target>-*:
# reproduce it with fuzz/build/fuzz-<target> FILE, then add it to
# fuzz/corpus/<target>/ as regress-<what> once fixed.
set -eu
cd "$(dirname "$0")/.."
seconds=${1:?usage: sh fuzz/run.sh SECONDS}
targets=${FUZZ_TARGETS:-record manifest sigs patch url timespec config propfind ftplist pgpdec seal}
B=fuzz/build

command -v clang-14 >/dev/null 2>&1 || command -v clang >/dev/null 2>&1 ||
    { echo "fuzz: clang is missing (scripts/setup.sh installs clang-14 and libclang-rt-14-dev)"; exit 1; }
# Stack traces with file and line (llvm-14's symbolizer).
if [ -z "${ASAN_SYMBOLIZER_PATH:-}" ] && [ -x /usr/lib/llvm-14/bin/llvm-symbolizer ]; then
	ASAN_SYMBOLIZER_PATH=/usr/lib/llvm-14/bin/llvm-symbolizer
	export ASAN_SYMBOLIZER_PATH
fi
start=$(date +%s)
make -s -f fuzz/fuzz.mk -j"$(nproc)" TARGETS="$targets" ||
    { echo "fuzz: the build failed"; exit 1; }
echo "fuzz: built in $(($(date +%s) - start)) s"

rc=0 total_runs=0 npass=0 nfail=0
for t in $targets; do
	# Each run works in a scratch corpus directory seeded from the
	# committed one, so CI never changes the checkout.
	work=${FUZZ_KEEP:+$FUZZ_KEEP/$t}
	[ -n "$work" ] || work=$B/work/$t
	[ -n "${FUZZ_KEEP:-}" ] || rm -rf "$work"
	mkdir -p "$work"
	log=$B/fuzz-$t.log
	trc=0
	# -timeout: one input taking 10 s is a hang; -rss_limit_mb: a
	# runaway allocation fails; -detect_leaks is on by default, said
	# anyway; -print_final_stats: the totals read below.
	nice -n "${FUZZ_NICE:-0}" "$B/fuzz-$t" "$work" "fuzz/corpus/$t" \
	    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
	    -detect_leaks=1 -print_final_stats=1 -close_fd_mask=3 \
	    -artifact_prefix="$B/crash-$t-" >"$log" 2>&1 || trc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	last=$(grep -E '^#[0-9]+' "$log" | tail -1)
	cov=$(echo "$last" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
	ft=$(echo "$last" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
	corp=$(echo "$last" | sed -n 's/.* corp: \([0-9]*\)\/.*/\1/p')
	total_runs=$((total_runs + ${runs:-0}))
	if [ "$trc" -ne 0 ]; then
		echo "fuzz: $t FAILED (exit $trc) after ${runs:-?} runs:"
		grep -E 'ERROR|SUMMARY|^    #[0-9]+ .* in |Test unit written' "$log" | head -30
		rc=1
		nfail=$((nfail + 1))
	else
		npass=$((npass + 1))
		echo "fuzz: $t: ${runs:-0} runs, cov ${cov:-0} edges, ft ${ft:-0} features, corpus ${corp:-0}"
	fi
done
# One test per target, in automake's words, for scripts/setup.sh's totals.
printf '# PASS: %d\n# FAIL: %d\n# SKIP: 0\n' "$npass" "$nfail" >"$B/test-suite.log"
echo "fuzz: $total_runs runs in all, $(($(date +%s) - start)) s, $( [ $rc -eq 0 ] && echo 'no crash, hang or leak' || echo FAILED)"
exit "$rc"
