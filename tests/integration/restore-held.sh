#!/bin/sh
# restore-held.sh: a whole file restored from a volume is held open and
# nameless until that volume's SHA-256 is checked at its end, and is then
# named without being hashed again (restore/restore.c, "held"; docs/
# SECURITY.md). What must hold:
#   1. no file of a volume has its name (nor a temporary one) before the
#      volume's end, and every file has it after;
#   2. a volume whose digest fails but whose records still parse (one
#      file's byte changed, the volume re-encrypted to the same key, the
#      sealed manifest untouched): each held file is hashed on its own, the
#      changed one is dropped and named, the others are restored;
#   3. with few fds nothing is held: every file is hashed as it is
#      written, and the changed file is caught the same way;
#   4. more files in one volume than may be held (ulimit -n 256: 64):
#      the rest are hashed on their own, the tree is identical, and a
#      changed file past the 64th is caught by its own hash;
#   5. held files of a volume that fails are dropped when the run stops:
#      SIGKILL while files are held leaves no name behind.
. "$TOP_SRCDIR/tests/integration/lib.sh"

command -v python3 >/dev/null 2>&1 || bail "python3 is missing"
make_key k
mkdir -p "$WORK/src/few" "$WORK/src/many" "$WORK/t0"
T0="file://$WORK/t0"
# Five files of 20 kB, then 200 of 2 kB: all in one volume (its 1 MiB
# minimum holds them), in this order.
for i in 1 2 3 4 5; do
	head -c 20000 /dev/urandom >"$WORK/src/few/f$i"
done
i=0
while [ $i -lt 200 ]; do
	head -c 2000 /dev/urandom >"$WORK/src/many/m$(printf %03d $i)"
	i=$((i + 1))
done
env TRESOR_NOW="$(at 0)" "$TRESOR" backup --quiet --to "$T0" \
    --key-file "$WORK/k.pub.asc" "$WORK/src" || bail "backup"
SET=$(ls "$WORK/t0" | sed -n 's/^tresor\.\(.*\)\.manifest\.gpg$/\1/p')
[ "$(ls "$WORK/t0" | grep -c '\.vol[0-9]*\.gpg$')" -eq 1 ] ||
    bail "expected one volume"
VOL=tresor.$SET.vol000001.gpg

restore_to() {
	"$TRESOR" restore --quiet --from "$1" --key-file "$WORK/k.sec.asc" \
	    --to "$2"
}

# nothing_named DIR: no regular file under DIR, not even a temporary one.
nothing_named() {
	[ -z "$(find "$1" -type f 2>/dev/null)" ]
}

# --- 1. named only at the volume's end ---------------------------------------
# Stopped as the 4th file begins: three are complete, none has a name.
env TRESOR_TESTPOINT=restore-file:4 "$TRESOR" restore --quiet --from "$T0" \
    --key-file "$WORK/k.sec.asc" --to "$WORK/r1" >/dev/null 2>"$WORK/err" &
pid=$!
if wait_stopped "$pid"; then
	check "three files complete, the 4th begun: none has a name yet" \
	    nothing_named "$WORK/r1"
	kill -CONT "$pid"
else
	check "restore stopped at its 4th file" false
fi
wait "$pid"
check "... the restore then exits 0" test $? -eq 0
check "... and every file has its name, byte for byte" \
    "$TREEDIFF" "$WORK/src" "$WORK/r1/src"

# flip FILE TARGET: one bit of TARGET's volume flipped in place, in the
# ciphertext of FILE's middle (its plaintext offset in the volume's zstd
# stream, stored raw for random data, plus the OpenPGP overhead before it:
# off by a few octets at most, well inside FILE). AES-CFB garbles that
# block and flips the bit in the next: FILE's bytes change, the records
# still parse, the size stays, the volume's SHA-256 and MDC fail.
cat >"$WORK/flip.py" <<'PY'
import subprocess, sys
path, home, data = sys.argv[1], sys.argv[2], open(sys.argv[3], "rb").read()
ct = bytearray(open(path, "rb").read())
comp = subprocess.run(["gpg", "--homedir", home, "--batch", "--quiet",
                       "--decrypt", path], check=True,
                      capture_output=True).stdout
mid = len(data) // 2
p = comp.find(data[mid:mid + 64])
assert p != -1 and comp.find(data[mid:mid + 64], p + 1) == -1
ct[p + len(ct) - len(comp) - 22] ^= 0x01    # 22: the MDC packet, after
open(path, "wb").write(ct)
PY
flip() {
	rm -rf "$WORK/$2" && cp -r "$WORK/t0" "$WORK/$2" &&
	    "${PYTHON:-python3}" "$WORK/flip.py" "$WORK/$2/$VOL" "$WORK/gnupg-k" \
	    "$WORK/src/$1" || bail "flipping a bit of $1 in $2"
}
# same DIR FILE...: each FILE restored in DIR, byte for byte.
same() {
	d=$1
	shift
	for f in "$@"; do
		cmp -s "$WORK/src/$f" "$d/src/$f" || return 1
	done
}
# only_right DIR: every file restored in DIR is right, nothing else is there.
only_right() {
	[ -z "$(find "$1" -name '.tresor*')" ] || return 1
	find "$1/src" -type f | while IFS= read -r f; do
		cmp -s "$f" "$WORK/src/${f#"$1"/src/}" || echo "$f"
	done | grep -q . && return 1
	return 0
}

# --- 2. a volume that fails its digest, its records intact ---------------------
flip few/f3 t2
expect_fail "$WORK/err" restore_to "file://$WORK/t2" "$WORK/r2"
check "one bit of f3 flipped in its volume: restore exits non-zero" test $? -eq 0
check "... naming the volume's digest" \
    grep -q "object '$VOL' in .* is corrupt: sha256 " "$WORK/err"
check "... and f3, which it could not restore" \
    grep -q "not restored: 'src/few/f3'" "$WORK/err"
check "... f3 has no name" test ! -e "$WORK/r2/src/few/f3"
# The files parsed after f3 were held, then each hashed and named: all but
# those in the stream's last zstd block (up to 128 KiB, which zstd does not
# hand out when the frame's checksum fails).
check "... the other files held from that volume are restored" \
    same "$WORK/r2" few/f1 few/f2 few/f4 few/f5 many/m000 many/m100
check "... every file there is right, no temporary is left" only_right "$WORK/r2"

# --- 3. few fds: nothing held, each file hashed --------------------------------
rc=0
( ulimit -n 128 && restore_to "file://$WORK/t2" "$WORK/r3" ) 2>"$WORK/err" || rc=$?
check "ulimit -n 128 (nothing held): restore exits non-zero" test "$rc" -ne 0
check "... f3 is named, and has no name" sh -c \
    'grep -q "not restored: .src/few/f3." "$1" && [ ! -e "$2/src/few/f3" ]' \
    _ "$WORK/err" "$WORK/r3"
check "... the files before it are restored" same "$WORK/r3" few/f1 few/f2
check "... every file there is right" only_right "$WORK/r3"
rc=0
( ulimit -n 128 && restore_to "$T0" "$WORK/r3b" ) 2>"$WORK/err" || rc=$?
check "... an intact set restores identical under ulimit -n 128" sh -c \
    '[ "$1" -eq 0 ] && "$2" "$3/src" "$4/src"' _ "$rc" "$TREEDIFF" "$WORK" "$WORK/r3b"

# --- 4. more files than may be held ---------------------------------------------
rc=0
( ulimit -n 256 && restore_to "$T0" "$WORK/r4" ) 2>"$WORK/err" || rc=$?
check "ulimit -n 256 (64 held, the rest hashed): 205 files, identical" sh -c \
    '[ "$1" -eq 0 ] && "$2" "$3/src" "$4/src"' _ "$rc" "$TREEDIFF" "$WORK" "$WORK/r4"
flip many/m150 t4
rc=0
( ulimit -n 256 && restore_to "file://$WORK/t4" "$WORK/r4b" ) 2>"$WORK/err" || rc=$?
check "m150 flipped, past the 64 held: restore exits non-zero" test "$rc" -ne 0
check "... m150 is named, and has no name" sh -c \
    'grep -q "not restored: .src/many/m150." "$1" && [ ! -e "$2/src/many/m150" ]' \
    _ "$WORK/err" "$WORK/r4b"
check "... the held files before it are restored" \
    same "$WORK/r4b" few/f1 many/m050
check "... every file there is right" only_right "$WORK/r4b"

# --- 5. SIGKILL while files are held -------------------------------------------
# Its own $TMPDIR: the killed run's GnuPG home is left there, stopped below.
mkdir -p "$WORK/tmp5"
env TMPDIR="$WORK/tmp5" TRESOR_TESTPOINT=restore-file:100 "$TRESOR" restore \
    --quiet --from "$T0" --key-file "$WORK/k.sec.asc" --to "$WORK/r5" \
    >/dev/null 2>"$WORK/err" &
pid=$!
if wait_stopped "$pid"; then
	kill -KILL "$pid"
	{ wait "$pid"; } 2>/dev/null
	check "SIGKILL with 99 files held: no file has a name, no temporary either" \
	    nothing_named "$WORK/r5"
else
	check "restore stopped at its 100th file" false
	wait "$pid"
fi
for home in "$WORK"/tmp5/tresor-gpg.*; do
	[ -d "$home" ] || continue
	gpgconf --homedir "$home" --kill all >/dev/null 2>&1
	rm -rf "$home"
done

done_testing
