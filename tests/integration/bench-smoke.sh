#!/bin/sh
# bench-smoke.sh: the benchmark harness (benchmarks/run) end to end, tresor
# only, on a tiny dataset with a small database: it exits 0, writes every
# table, and its restores were verified identical; a corrupted restore fails
# the run. Its verifier catches a flipped byte, a changed mode, a changed
# mtime and a missing file; the dataset generator is deterministic (same
# seed, same tree; same night, same mutation); missing peers are one line.
. "$TOP_SRCDIR/tests/integration/lib.sh"

RUN="$TOP_SRCDIR/benchmarks/run"
GEN="$TOP_SRCDIR/benchmarks/gen-dataset"
# The interpreter itself, once (a wrapper such as pyenv's shim costs a
# second or two a call).
PY=$(python3 -c 'import sys; print(sys.executable)') ||
    bail "python3 is needed for benchmarks/run"

mkdir -p "$WORK/bench"
chmod 755 "$WORK/bench"
"$PY" "$RUN" --peers none --size 8M --files 40 \
    --db-size 2M --reps 1 --work "$WORK/bench" --tresor "$TRESOR" \
    --out "$WORK/r.md" >"$WORK/out" 2>"$WORK/err"
rc=$?
[ $rc -eq 0 ] || { sed 's/^/# /' "$WORK/err" | tail -n 20; }
check "the harness runs tresor-only to the end" test $rc -eq 0
check "it writes the markdown it prints" cmp -s "$WORK/out" "$WORK/r.md"
for title in 'Full backup' 'No-change incremental' \
    'Incremental after the nightly mutation' 'Full restore' \
    'Single-file fetch of the dump' 'Purge' 'Physical limits' 'Targets'; do
	check "report has the table: $title" grep -q "^## $title" "$WORK/r.md"
done
check "a tresor row in the full backup table" grep -q '^| tresor | [0-9.]* | [0-9.]* | [0-9.]* | [0-9.]* |' "$WORK/r.md"
check "the restore was verified identical" grep -q '^- tresor rep 1: restore identical' "$WORK/r.md"
check "the fetched dump was verified identical" grep -q '^- tresor rep 1: fetched dump identical' "$WORK/r.md"
check "zstd's throughput is in the limits" grep -q '^| zstd -3 -T1 | [0-9.]* |' "$WORK/r.md"
check "the work directory is emptied" test -z "$(ls -A "$WORK/bench")"

# A restore that differs from the source fails the run (exit 1), naming
# the file, and writes no report.
mkdir -p "$WORK/bench2"
chmod 755 "$WORK/bench2"
TRESOR_BENCH_CORRUPT=restore "$PY" "$RUN" --peers none --size 1M \
    --files 8 --db-size 0 --reps 1 --work "$WORK/bench2" --tresor "$TRESOR" \
    --out "$WORK/r2.md" >/dev/null 2>"$WORK/err2"
rc=$?
check "a corrupted restore fails the run with 1" test $rc -eq 1
check "saying which file differs" grep -q 'restored vault differs from the source' "$WORK/err2"
check "naming the file and the difference" grep -q 'doc-.*: content differs' "$WORK/err2"
check "and no report is written" test ! -e "$WORK/r2.md"

# The dataset is the same for the same seed, and so is its mutation.
"$PY" "$GEN" --out "$WORK/a" --size 2M --files 40 --seed 7 &&
    "$PY" "$GEN" --out "$WORK/b" --size 2M --files 40 --seed 7 ||
    bail "gen-dataset failed"
check "same seed, identical trees" "$PY" "$RUN" --compare "$WORK/a" "$WORK/b"
check "40 files, 2 MiB" test "$(find "$WORK/a" -type f | wc -l)" -eq 40 -a \
    "$(find "$WORK/a" -type f -exec cat {} + | wc -c)" -eq 2097152
"$PY" "$GEN" --out "$WORK/a" --mutate 3 --seed 7 >/dev/null &&
    "$PY" "$GEN" --out "$WORK/b" --mutate 3 --seed 7 >/dev/null ||
    bail "gen-dataset --mutate failed"
check "same night, identical mutations" "$PY" "$RUN" --compare "$WORK/a" "$WORK/b"

# The verifier must fail on any difference.
f=$(cd "$WORK/b" && find . -type f | sort | head -n 1)
cp -p "$WORK/b/$f" "$WORK/saved"
printf 'X' | dd of="$WORK/b/$f" bs=1 seek=100 conv=notrunc 2>/dev/null
touch -r "$WORK/saved" "$WORK/b/$f"
check "a flipped byte (same size, same mtime) is caught" \
    expect_fail "$WORK/err" "$PY" "$RUN" --compare "$WORK/a" "$WORK/b"
check "and named" grep -q 'content differs' "$WORK/err"
cp -p "$WORK/saved" "$WORK/b/$f"
check "restored, the trees are identical again" "$PY" "$RUN" --compare "$WORK/a" "$WORK/b"
chmod 600 "$WORK/b/$f"
check "a changed mode is caught" \
    expect_fail "$WORK/err" "$PY" "$RUN" --compare "$WORK/a" "$WORK/b"
chmod --reference="$WORK/a/$f" "$WORK/b/$f"
touch -d '2001-01-01' "$WORK/b/$f"
check "a changed mtime is caught" \
    expect_fail "$WORK/err" "$PY" "$RUN" --compare "$WORK/a" "$WORK/b"
rm "$WORK/b/$f"
check "a missing file is caught" \
    expect_fail "$WORK/err" "$PY" "$RUN" --compare "$WORK/a" "$WORK/b"

# A peer that is not installed stops the run with the package to install.
mkdir -p "$WORK/pbin"
ln -s "$PY" "$WORK/pbin/python3"
PATH="$WORK/pbin" expect_fail "$WORK/err" "$WORK/pbin/python3" "$RUN" \
    --peers duplicity,restic --size 1M --files 10 --db-size 0 --reps 1 \
    --work "$WORK/none" --tresor "$TRESOR"
check "missing peers: one line naming the packages" sh -c \
    "[ \$(wc -l <'$WORK/err') -eq 1 ] && grep -q 'apt-get install duplicity restic' '$WORK/err'"
check "and nothing was started" test ! -e "$WORK/none"

done_testing
