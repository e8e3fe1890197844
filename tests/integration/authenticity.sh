#!/bin/sh
# authenticity.sh: signed, hash-chained seals (issue 18; docs/SECURITY.md
# has the threat model). One check group per attack on a file:// target:
# each is refused by verify and by restore with a non-zero exit, one line
# naming it, and nothing written; and the legitimate cases that must not
# alarm: purge, a new full chain, a lost cache, a rotated signing key, and
# unsigned (format 1) sets read with --allow-unsigned.
#
# SFTP=1 (authenticity-sftp.sh) runs the same on an sftp:// target: then
# $T is the URL and $D the directory behind it.
# authenticity-sftp.sh has sourced lib.sh and started its server.
[ -n "${AUTHENTICITY_SFTP:-}" ] || . "$TOP_SRCDIR/tests/integration/lib.sh"

X=$TRESOR_REAL		# every option spelt out here: no wrapper
make_key k
make_sign_key other	# an attacker's signing key
make_sign_key new	# the next signing key, for the rotation
S="$WORK/sign.sec.asc"
P="$WORK/sign.pub.asc"
V="$WORK/src/vault"
mkdir -p "$V"
head -c 200000 /dev/urandom >"$V/a.pdf"
echo hello >"$V/b.txt"

: "${D:=$WORK/target}"
: "${T:=file://$D}"
: "${NET:=}"		# transport options for sftp (authenticity-sftp.sh)
[ -n "$NET" ] || mkdir -p "$D"	# sftp: the first backup makes it
# b DAY [OPTIONS]: a backup to $T on day DAY, signed with $S unless told.
b() {
	day=$1
	shift
	echo "$day" >>"$V/b.txt"
	TRESOR_NOW=$(at "$day") "$X" backup --quiet $NET --to "$T" \
	    --key-file "$WORK/k.pub.asc" "$@" "$V"
}
# ver [OPTIONS]: verify $T; rst OUT [OPTIONS]: restore $T into OUT.
cp_state() { rm -rf "$2" && cp -a "$1" "$2"; }
ver() {
	"$X" verify --quiet $NET --from "$T" --key-file "$WORK/k.sec.asc" "$@"
}
rst() {
	out=$1
	shift
	"$X" restore --quiet $NET --from "$T" --to "$out" \
	    --key-file "$WORK/k.sec.asc" "$@"
}
b 0 --sign-key "$S" || bail "backup day 0"
b 1 --sign-key "$S" || bail "backup day 1"
cp_state "$D" "$WORK/day1-state"
b 2 --sign-key "$S" || bail "backup day 2"
ls "$D" | grep '\.seal\.asc$' >"$WORK/seals"
check "three sets, three seals" test "$(wc -l <"$WORK/seals")" -eq 3
check "a seal is an OpenPGP cleartext signature of a tresor-seal text" \
    sh -c "head -n 4 '$D'/tresor.*T003000Z.full.seal.asc | grep -q '^tresor-seal 1$' &&
        gpg --batch --quiet --homedir '$WORK/gnupg-sign' --verify '$D'/tresor.*T003000Z.full.seal.asc 2>/dev/null"
check "the cache keeps the head: status --head prints sequence 3" \
    sh -c "'$X' status --from '$T' --head | grep -q '^tresor-head 1 [0-9a-f]\{32\} 3 [0-9a-f]\{64\} [0-9TZ]*\.inc$'"
"$X" status --from "$T" --head >"$WORK/head" || bail "status --head"
check "verify of the good target passes: seals, chain and hashes" \
    sh -c "'$X' verify $NET --from '$T' --key-file '$WORK/k.sec.asc' | grep -q '3 sets in .*: 3 seals, chain ok'"
check "verify --seals-only needs no key" \
    sh -c "'$X' verify --seals-only $NET --from '$T' | grep -q 'chain ok'"
check "restore of the good target passes (key from the cache, no option)" \
    rst "$WORK/good"
check "... with --sign-pubkey and a fresh cache too" \
    env TRESOR_CACHE_DIR="$WORK/fresh-cache" "$X" restore --quiet $NET --from "$T" \
    --to "$WORK/good2" --key-file "$WORK/k.sec.asc" --sign-pubkey "$P"
check "... and --head from elsewhere" \
    env TRESOR_CACHE_DIR="$WORK/fresh-cache2" "$X" verify --quiet $NET --from "$T" \
    --key-file "$WORK/k.sec.asc" --sign-pubkey "$P" --head "$WORK/head"

# attack NAME PATTERN: the target (as an attack left it) is refused by
# verify and by restore: exit non-zero, PATTERN in the error, restore's
# error one line, and restore creates nothing. Then the good state is back.
attack() {
	name=$1
	pat=$2
	shift 2
	# Over sftp the attacker writes as the target's user, not as root.
	[ -z "$NET" ] || chown -R "$TEST_USER" "$D"
	expect_fail "$WORK/err" ver "$@"
	check "$name: verify refuses" grep -q "$pat" "$WORK/err"
	[ "$(grep -c "$pat" "$WORK/err")" -ge 1 ] || diag "$(cat "$WORK/err")"
	rm -rf "$WORK/out"
	expect_fail "$WORK/err" rst "$WORK/out" "$@"
	check "$name: restore refuses in one line" one_line_error "$WORK/err"
	check "$name: ... naming it" grep -q "$pat" "$WORK/err"
	grep -q "$pat" "$WORK/err" || diag "$(cat "$WORK/err")"
	check "$name: ... and writes nothing" test ! -e "$WORK/out"
	cp_state "$WORK/good-target" "$D"
	cp_state "$WORK/good-cache" "$WORK/cache"
}
cp_state "$D" "$WORK/good-target"
cp_state "$WORK/cache" "$WORK/good-cache"
day2=$(ls "$D" | sed -n 's/^tresor\.\(.*T003000Z\.inc\)\.manifest\.gpg$/\1/p' | tail -n 1)
day1=$(ls "$D" | sed -n 's/^tresor\.\(.*T003000Z\.inc\)\.manifest\.gpg$/\1/p' | head -n 1)
day0=$(ls "$D" | sed -n 's/^tresor\.\(.*T003000Z\.full\)\.manifest\.gpg$/\1/p')

# 1. Forged or altered manifests and seals.
m="$D/tresor.$day2.manifest.gpg"
printf 'X' | dd of="$m" bs=1 seek=100 conv=notrunc 2>/dev/null
attack "an altered manifest" "manifest of $day2 .*does not match its seal.*forged or altered manifest"

sed -i 's/^sequence 3$/sequence 4/' "$D/tresor.$day2.seal.asc"
attack "an altered seal" "seal of $day2 .*bad signature.*forged or altered seal"

# gpg ignores bytes after the END line; the newest seal is hashed by no
# later seal, so tresor holds it to the form it writes.
printf 'x' >>"$D/tresor.$day2.seal.asc"
attack "bytes appended to the newest seal" "seal of $day2 .*does not end with the signature's END line: an altered seal"

# The attacker has the public key and write access: a whole new set, the
# newest, sealed with a key of their own.
mkdir -p "$WORK/evil"
echo forged >"$V/forged.txt"
TRESOR_NOW=$(at 3) TRESOR_CACHE_DIR="$WORK/evil-cache3" "$X" backup --quiet \
    --to "file://$WORK/evil" --key-file "$WORK/k.pub.asc" \
    --sign-key "$WORK/other.sec.asc" "$V" || bail "attacker's set"
rm "$V/forged.txt"
cp "$WORK/evil"/tresor.* "$D"/
attack "a forged set sealed by another key" "not trusted here.*forged or altered seal"

cp "$WORK/evil"/tresor.*.vol* "$WORK/evil"/tresor.*.manifest.gpg "$D"/
attack "a forged set without a seal" "has no seal: it is unsigned"
# A backup from this host seals only its own sets killed before their
# seal (a copy still pending in its cache): never a planted one.
cp "$WORK/evil"/tresor.*.vol* "$WORK/evil"/tresor.*.manifest.gpg "$D"/
evil=$(ls "$WORK/evil" | sed -n 's/^tresor\.\(.*\)\.manifest\.gpg$/\1/p')
[ -z "$NET" ] || chown -R "$TEST_USER" "$D"
TRESOR_NOW=$(at 4) "$X" backup --quiet $NET --to "$T" \
    --key-file "$WORK/k.pub.asc" --sign-key "$S" "$V" >"$WORK/err" 2>&1
ls "$D" >"$WORK/listing"
check "a planted unsealed set: a backup from this host does not seal it" \
    sh -c "[ -n '$evil' ] && ! grep -q '^tresor\.$evil\.seal\.asc\$' '$WORK/listing'"
check "... nor says it sealed anything" sh -c "! grep -q 'sealed now' '$WORK/err'"
attack "a planted unsealed set after a backup" "set $evil in .* has no seal: it is unsigned"

# A seal signed by another key, its text copied from a good one.
sed -n '/^tresor-seal 1$/,/^end$/p' "$D/tresor.$day2.seal.asc" >"$WORK/text"
GNUPGHOME="$WORK/gnupg-other" gpg --batch --quiet --yes --clearsign \
    -o "$D/tresor.$day2.seal.asc" "$WORK/text" || bail "resign"
attack "a good seal's text signed by another key" "not trusted here"

# 2. A set spliced in from another target (same keys, other target id).
mkdir -p "$WORK/t2"
TRESOR_CACHE_DIR="$WORK/cache-t2" TRESOR_NOW=$(at 3) "$X" backup --quiet \
    --to "file://$WORK/t2" --key-file "$WORK/k.pub.asc" --sign-key "$S" "$V" ||
    bail "second target"
cp "$WORK/t2"/tresor.* "$D"/
attack "a set spliced in from another target" "sealed for another target.*spliced"

# 3. An old set replayed under a new name.
new=$(date -u -d @"$(at 3)" +%Y%m%dT%H%M%SZ).inc
for f in "$D"/tresor."$day1".*; do
	cp "$f" "$D/tresor.$new.${f#"$D"/tresor."$day1".}"
done
attack "an old set (seal and all) replayed under a new name" "holds the seal of $day1: an old set replayed"

cp "$D/tresor.$day1.manifest.gpg" "$D/tresor.$day2.manifest.gpg"
attack "an old manifest replayed under the newest set's name" "manifest of $day2 .*is $day1's: an old set replayed"

# 4. Rollback: the target as it was before day 2 (an old copy put back).
cp_state "$WORK/day1-state" "$D"
attack "a rollback of the target" "rollback: the newest seal in .* is sequence 2 .*saw sequence 3.*rolled back or its newest sets deleted"

# 5. Deletion: a set in the middle of the chain, whole or its manifest.
rm -f "$D"/tresor."$day1".*
attack "a set deleted mid-chain" "seal sequence 2 .*before $day2's, is missing .*no purge removed it: a set was deleted"
rm -f "$D"/tresor."$day1".manifest.gpg
attack "a set's manifest deleted mid-chain" "$day1 is sealed (sequence 2) but its manifest is gone.*a set was deleted"

# 6. Deletion at the end: the cache head is missing from the target.
rm -f "$D"/tresor."$day2".*
attack "the newest set deleted" "rollback: .*saw sequence 3 ($day2)"
rm -f "$D"/tresor.*.seal.asc
attack "every seal deleted" "has no seals, but this host's cache saw sequence 3"

# 7. The cache lost, too: the head kept elsewhere still catches it.
cp_state "$WORK/day1-state" "$D"
rm -rf "$WORK/cache"
attack "a rollback, the cache lost, --head given" "rollback: .*but --head saw sequence 3" \
    --head "$WORK/head" --sign-pubkey "$P"
cp_state "$WORK/day1-state" "$D"
rm -rf "$WORK/cache"
expect_fail "$WORK/err" "$X" verify --seals-only $NET --from "$T" --sign-pubkey "$P" \
    --head "$(cat "$WORK/head")"
check "... --head may be the line itself" grep -q "rollback: .*--head saw sequence 3" "$WORK/err"
cp_state "$WORK/good-target" "$D"
cp_state "$WORK/good-cache" "$WORK/cache"

# A backup host refuses to build on a rolled-back target too.
rm -f "$D"/tresor."$day2".*
expect_fail "$WORK/err" b 4 --sign-key "$S"
check "backup refuses a rolled-back target in one line" one_line_error "$WORK/err"
check "... saying rollback" grep -q "rollback: the newest seal .* is sequence 2" "$WORK/err"
cp_state "$WORK/good-target" "$D"
cp_state "$WORK/good-cache" "$WORK/cache"
# ... and on one emptied of all its sets, which its cache saw sealed.
rm -f "$D"/tresor.*
expect_fail "$WORK/err" b 4 --sign-key "$S"
check "backup refuses an emptied target in one line" one_line_error "$WORK/err"
check "... saying the cache saw sequence 3 and what to remove if on purpose" \
    grep -q "has no seals, but this host's cache saw sequence 3 .*: its sets were deleted or replaced (if the target was emptied on purpose, remove " "$WORK/err"
check "... and writes nothing there" sh -c "! ls '$D' | grep -q '^tresor\.'"
cp_state "$WORK/good-target" "$D"
cp_state "$WORK/good-cache" "$WORK/cache"
# ... and on one whose sets were replaced by another target's, sealed with
# the same key.
mkdir -p "$WORK/other-target"
TRESOR_NOW=$(at 3) TRESOR_CACHE_DIR="$WORK/other-cache" "$X" backup --quiet \
    --to "file://$WORK/other-target" --key-file "$WORK/k.pub.asc" \
    --sign-key "$S" "$V" || bail "the other target's set"
rm -f "$D"/tresor.*
cp "$WORK/other-target"/tresor.* "$D"/
[ -z "$NET" ] || chown -R "$TEST_USER" "$D"
ls "$D" >"$WORK/before"
expect_fail "$WORK/err" b 4 --sign-key "$S"
check "backup refuses a target replaced by another one in one line" one_line_error "$WORK/err"
check "... naming both targets" \
    grep -q "the newest seal in .* is of target [0-9a-f]*, but this host's cache knows target [0-9a-f]*: the target was replaced" "$WORK/err"
check "... and writes nothing there" sh -c "ls '$D' | cmp -s - '$WORK/before'"
cp_state "$WORK/good-target" "$D"
cp_state "$WORK/good-cache" "$WORK/cache"
# ... and on one whose newest set was replaced by another of the same
# sequence (day 2's dropped, another host's full set sealed on day 1's).
cp_state "$WORK/day1-state" "$D"
TRESOR_NOW=$(at 3) TRESOR_CACHE_DIR="$WORK/fork-cache" "$X" backup --quiet \
    $NET --full --to "$T" --key-file "$WORK/k.pub.asc" --sign-key "$S" "$V" \
    2>"$WORK/err" || bail "the forking set: $(cat "$WORK/err")"
ls "$D" >"$WORK/before"
expect_fail "$WORK/err" b 4 --sign-key "$S"
check "backup refuses a rewritten chain in one line" one_line_error "$WORK/err"
check "... naming the sequence and the set the cache saw" \
    grep -q "seal sequence 3 in .* is .*, but this host's cache saw $day2 there: the chain was rewritten" "$WORK/err"
check "... and writes nothing there" sh -c "ls '$D' | cmp -s - '$WORK/before'"
cp_state "$WORK/good-target" "$D"
cp_state "$WORK/good-cache" "$WORK/cache"

# Usage: the signing key is required and must be a secret signing key.
expect_fail "$WORK/err" b 5
check "backup without --sign-key: one line" one_line_error "$WORK/err"
check "... naming --sign-key" grep -q 'no signing key: give --sign-key FILE' "$WORK/err"
expect_fail "$WORK/err" b 5 --sign-key "$P"
check "a public key as --sign-key: one line saying so" \
    grep -q "holds no usable secret signing key" "$WORK/err"
expect_fail "$WORK/err" env TRESOR_CACHE_DIR="$WORK/empty-cache" "$X" restore \
    $NET --from "$T" --to "$WORK/out" --key-file "$WORK/k.sec.asc"
check "restore with no signing key known: one line asking for --sign-pubkey" \
    grep -q "no signing key to check the seals of .*--sign-pubkey FILE" "$WORK/err"
check "... and writes nothing" test ! -e "$WORK/out"

# --- The legitimate cases: no alarm. ---

# A lost cache: re-learnt from the target, saying so; the next backup too.
rm -rf "$WORK/cache"
ver --sign-pubkey "$P" 2>"$WORK/err"
check "a lost cache: verify passes" test $? -eq 0
check "... saying the rollback check restarts at the target's head" \
    grep -q "no head in the cache .*learned sequence 3 ($day2) from the target; the rollback check restarts there" "$WORK/err"
check "... and the cache has the head again" cmp -s "$WORK/head" \
    "$(ls -d "$WORK"/cache/*/head)"
rm -rf "$WORK/cache"
b 5 --sign-key "$S" --full 2>"$WORK/err"
check "a lost cache: the next backup passes" test $? -eq 0
check "... saying the rollback check restarts there" \
    grep -q "learned sequence 3 .*the rollback check restarts there" "$WORK/err"
check "... and chains on: sequence 4" \
    sh -c "'$X' status --from '$T' --head | grep -q ' 4 [0-9a-f]\{64\} '"

# A new full chain continues the one hash chain.
b 6 --sign-key "$S" --full || bail "full"
check "a new full chain: verify passes" ver
check "... restore passes" rst "$WORK/r-full"
check "... its seal follows the incremental's (sequence 5)" \
    grep -q '^sequence 5$' "$D/tresor.$(date -u -d @"$(at 6)" +%Y%m%dT%H%M%SZ).full.seal.asc"

# Purge: a signed record lists what it removed.
TRESOR_NOW=$(at 70) "$X" purge $NET --from "$T" --older-than 30D --force \
    >/dev/null 2>"$WORK/err"
check "purge without --sign-key refuses to remove sealed sets" \
    grep -q "no signing key" "$WORK/err"
check "... and removes nothing" test -e "$D/tresor.$day0.manifest.gpg"
TRESOR_NOW=$(at 70) "$X" purge --quiet $NET --from "$T" --older-than 30D --force \
    --sign-key "$S" || bail "purge"
check "purge removed chain 1" test ! -e "$D/tresor.$day0.manifest.gpg"
purge_seal=$(ls "$D" | grep '\.purge\.seal\.asc$')
check "... and published a purge record" test -n "$purge_seal"
check "... listing the four sets it removed" \
    test "$(grep -c '^removed ' "$D/$purge_seal")" -eq 4
check "after a purge: verify passes" ver
check "... restore passes" rst "$WORK/r-purge"
check "... from a fresh cache too" env TRESOR_CACHE_DIR="$WORK/fresh-cache3" \
    "$X" verify --quiet --seals-only $NET --from "$T" --sign-pubkey "$P"
cp_state "$D" "$WORK/purged"
rm "$D/$purge_seal"
expect_fail "$WORK/err" env TRESOR_CACHE_DIR="$WORK/fresh-cache6" "$X" verify \
    --seals-only $NET --from "$T" --sign-pubkey "$P"
check "a purge without its record is a deletion" grep -q "no purge removed it: a set was deleted" "$WORK/err"
cp_state "$WORK/purged" "$D"
sed -i 's/^removed \([^ ]*\) 1 /removed \1 9 /' "$D/$purge_seal"
expect_fail "$WORK/err" ver
check "an altered purge record is a forgery" grep -q "bad signature" "$WORK/err"
cp_state "$WORK/purged" "$D"
# A purge record is no set, but it is the newest seal: a backup older than
# it means the clock went backwards (not a rollback of the target).
expect_fail "$WORK/err" b 69 --sign-key "$S"
check "a backup older than the newest purge record: refused, naming the clock" \
    grep -q "newest seal in .*purge, is not older than this run .*clock must not go backwards" "$WORK/err"

# Signing key rotation (docs/SECURITY.md, "Rotating the signing key"). The
# cache remembers the keys it signed with; a host without it (here: the
# cache's keys lost) must be told the old key once.
cp_state "$WORK/cache" "$WORK/cache-before-rotation"
rm "$WORK"/cache/*/signkeys.*
expect_fail "$WORK/err" b 71 --sign-key "$WORK/new.sec.asc"
check "a new signing key, the old one unknown here: refused in one line" \
    one_line_error "$WORK/err"
check "... naming --previous-sign-key" grep -q -- "--previous-sign-key FILE" "$WORK/err"
b 71 --sign-key "$WORK/new.sec.asc" --previous-sign-key "$P" ||
    bail "rotation backup"
check "the rotation's seal records the previous signing key" \
    grep -q '^previous-sign-key ' "$D/tresor.$(date -u -d @"$(at 71)" +%Y%m%dT%H%M%SZ)".*.seal.asc
b 72 --sign-key "$WORK/new.sec.asc" || bail "after rotation"
check "after the rotation: backups need only the new key" test $? -eq 0
check "... verify passes on this host (the cache keeps both keys)" ver
check "... restore of a set sealed by the old key passes" \
    rst "$WORK/r-old" --time "$(date -u -d @"$(at 7)" +%Y-%m-%dT%H:%M:%SZ)"
check "... elsewhere, with both public keys" env TRESOR_CACHE_DIR="$WORK/fresh-cache4" \
    "$X" verify --quiet $NET --from "$T" --key-file "$WORK/k.sec.asc" \
    --sign-pubkey "$WORK/new.pub.asc" --previous-sign-key "$P"
check "... elsewhere, with the new key only: the chain vouches for the old seals" \
    env TRESOR_CACHE_DIR="$WORK/fresh-cache5" "$X" verify --quiet --seals-only $NET \
    --from "$T" --sign-pubkey "$WORK/new.pub.asc"
expect_fail "$WORK/err" env TRESOR_CACHE_DIR="$WORK/fresh-cache7" \
    "$X" verify --quiet --seals-only $NET --from "$T" --sign-pubkey "$P"
check "... elsewhere, with the old key only: the newest seal is not trusted" \
    grep -q "not trusted here" "$WORK/err"
# A seal by another key slipped in after the rotation is no rotation.
cp_state "$D" "$WORK/rotated"
cp_state "$WORK/cache" "$WORK/rotated-cache"
b 73 --sign-key "$S" --sign-pubkey "$WORK/new.pub.asc" 2>/dev/null || bail "old key again"
check "a rotation back is recorded too, and verifies" ver
cp_state "$WORK/rotated" "$D"
cp_state "$WORK/rotated-cache" "$WORK/cache"

# Unsigned (format 1) sets: refused by default, read with --allow-unsigned.
U="$WORK/unsigned"
mkdir -p "$U"
TRESOR_CACHE_DIR="$WORK/ucache" TRESOR_NOW=$(at 80) "$X" backup --quiet \
    --to "file://$U" --key-file "$WORK/k.pub.asc" --sign-key "$S" "$V" || bail "u"
rm "$U"/tresor.*.seal.asc	# as format 1 wrote it
expect_fail "$WORK/err" env TRESOR_CACHE_DIR="$WORK/ucache2" "$X" restore \
    --from "file://$U" --to "$WORK/u-out" --key-file "$WORK/k.sec.asc"
check "an unsigned set: restore refuses by default, in one line" one_line_error "$WORK/err"
check "... naming --allow-unsigned" grep -q "holds no seals .*--allow-unsigned" "$WORK/err"
check "... and writes nothing" test ! -e "$WORK/u-out"
env TRESOR_CACHE_DIR="$WORK/ucache2" "$X" restore --quiet --from "file://$U" \
    --to "$WORK/u-out" --key-file "$WORK/k.sec.asc" --allow-unsigned 2>"$WORK/err"
check "--allow-unsigned reads it" "$TREEDIFF" "$V" "$WORK/u-out/vault"
check "... saying so in one warning" \
    sh -c "[ \$(wc -l <'$WORK/err') -eq 1 ] && grep -q 'warning: .*is authenticated (--allow-unsigned)' '$WORK/err'"
expect_fail "$WORK/err" env TRESOR_CACHE_DIR="$WORK/ucache2" "$X" verify \
    --from "file://$U" --key-file "$WORK/k.sec.asc" --sign-pubkey "$P"
check "with a signing key given, an unsigned set is no pass for verify" \
    grep -q "has no seal: it is unsigned" "$WORK/err"

# Bad input: one line each.
expect_fail "$WORK/err" "$X" verify --seals-only $NET --from "$T" --sign-pubkey "$P" \
    --head "tresor-head 1 not-a-target 3"
check "a malformed --head: one line saying what a head looks like" sh -c "
    [ \$(wc -l <'$WORK/err') -eq 1 ] && grep -q 'not a tresor head' '$WORK/err'"
expect_fail "$WORK/err" "$X" status --from "file://$WORK/never-seen" --head \
    --cache-dir "$WORK/empty-cache2"
check "status --head with no head kept: one line saying so" sh -c "
    [ \$(wc -l <'$WORK/err') -eq 1 ] && grep -q 'no head in the cache' '$WORK/err'"

# Key and head options that name nothing usable: one line naming the
# option and the file, before any seal is read. A file that is no key, the
# only key source (an empty cache), fails the import of all the keys at
# once; each source is then imported alone, so the line names it.
printf 'no key here\n' >"$WORK/nokey.asc"
# opt_fails TEXT OPTION...: verify --seals-only with OPTION... fails in one
# line holding TEXT.
opt_fails() {
	want=$1
	shift
	"$X" verify --seals-only $NET --from "$T" "$@" >"$WORK/out" 2>"$WORK/err" &&
	    { diag "verify $* passed"; return 1; }
	[ "$(wc -l <"$WORK/err")" -eq 1 ] && grep -qF -- "$want" "$WORK/err" &&
	    return 0
	diag "want: $want"
	diag "got:  $(cat "$WORK/err")"
	return 1
}
check "--head naming no file and no head line: one line saying so" \
    opt_fails "--head '$WORK/missing-head': neither a head line nor a file" \
    --sign-pubkey "$P" --head "$WORK/missing-head"
check "--head naming a file that holds no head: one line naming it" \
    opt_fails "--head '$WORK/nokey.asc': not a tresor head" \
    --sign-pubkey "$P" --head "$WORK/nokey.asc"
check "--sign-pubkey naming no file: one line naming it" \
    opt_fails "--sign-pubkey '$WORK/missing.asc' does not exist" \
    --sign-pubkey "$WORK/missing.asc"
check "--previous-sign-key naming no file: one line naming it" \
    opt_fails "--previous-sign-key '$WORK/missing.asc' does not exist" \
    --sign-pubkey "$P" --previous-sign-key "$WORK/missing.asc"
check "a --sign-pubkey that is no key: one line naming it" \
    opt_fails "--sign-pubkey '$WORK/nokey.asc': no OpenPGP key in it" \
    --sign-pubkey "$WORK/nokey.asc" --cache-dir "$WORK/empty-cache3"

# The signing key's gpg-agent is stopped by KILLAGENT on its socket, not
# by gpgconf --kill (four more programs after the seal): a gpgconf first
# on PATH notes each run. Its own target and cache, a short TMPDIR of its
# own (the homes go there only below 41 bytes), nothing left behind
# ([t]: not to match the sh -c that runs pgrep).
AT=$(mktemp -d /tmp/tr-ag.XXXXXX)
mkdir -p "$WORK/fakebin" "$WORK/agent-target"
printf '#!/bin/sh\necho "$*" >>"%s"\nexec "%s" "$@"\n' \
    "$WORK/gpgconf.calls" "$(command -v gpgconf)" >"$WORK/fakebin/gpgconf"
chmod +x "$WORK/fakebin/gpgconf"
check "pgrep is installed (procps)" sh -c "command -v pgrep >/dev/null"
check "a backup stops its signing key's gpg-agent without gpgconf" sh -c "
    PATH='$WORK/fakebin':\$PATH TMPDIR='$AT' TRESOR_NOW=$(at 0) \
    TRESOR_CACHE_DIR='$WORK/agent-cache' '$X' backup --quiet \
    --to 'file://$WORK/agent-target' --key-file '$WORK/k.pub.asc' \
    --sign-key '$S' '$V' && test ! -e '$WORK/gpgconf.calls'"
check "... leaves no GnuPG home in TMPDIR" test -z "$(ls -A "$AT")"
check "... nor a gpg-agent of one" \
    sh -c "! pgrep -f 'gpg-agen[t] --homedir $AT/' >/dev/null"
rm -rf "$AT"

done_testing
