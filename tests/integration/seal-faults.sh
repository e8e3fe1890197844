#!/bin/sh
# seal-faults.sh: the seal checks of repo/seals.c that authenticity.sh does
# not reach (issue 17), on a file:// target.
#   1. Seals whose signature is good but whose chain is not (made with the
#      signing key, as by an attacker who holds it, or a bug): a fork (two
#      seals of one sequence), a rewritten chain, a key change with no
#      rotation recorded, a seal naming another key than its signer's, a
#      signed text that is no seal.
#   2. Armour that gpg accepts but tresor does not write (blanks after the
#      text, a leading line, two Hash headers, a Version header, a stray
#      byte), a seal cut short, an empty one.
#   3. A cache head or --head that disagrees with the target; a damaged
#      cache head; --head and the cache's keys unreadable; no cache dir.
#   4. A writer's key options naming no file, its cache's keys damaged,
#      two newest seals of one second.
#   5. Purge of a chain with a seal altered (refused) or already gone (its
#      record lists what was there; a --head of the lost seal is caught).
#   6. The seal writer's cache files (keys, their list, the head) failing
#      to be written, through tests/helpers/faultshim.so.
#   7. recover-from-backup checking the seals with env.yml's signing key.
# Every refusal: a non-zero exit and one line naming the fault; restore
# and recover write nothing. Every legitimate case passes, and the last
# restore is byte-identical. About 10 s (15 s under ASan).
. "$TOP_SRCDIR/tests/integration/lib.sh"

X=$TRESOR_REAL		# every option spelt out: no wrapper
make_key k
make_sign_key new	# a second trusted signing key
S="$WORK/sign.sec.asc"
P="$WORK/sign.pub.asc"
NP="$WORK/new.pub.asc"
V="$WORK/src/vault"
mkdir -p "$V"
head -c 50000 /dev/urandom >"$V/a.bin"
echo hello >"$V/b.txt"
D="$WORK/target"
T="file://$D"
mkdir -p "$D"
C="$WORK/cache"

b() {
	day=$1
	shift
	echo "$day" >>"$V/b.txt"
	TRESOR_NOW=$(at "$day") "$X" backup --quiet --to "$T" \
	    --key-file "$WORK/k.pub.asc" "$@" "$V"
}
ver() {
	"$X" verify --quiet --seals-only --from "$T" "$@"
}
cp_state() { rm -rf "$2" && cp -a "$1" "$2"; }
b 0 --sign-key "$S" || bail "backup day 0"
"$X" status --from "$T" --head >"$WORK/head0" || bail "status --head"
b 1 --sign-key "$S" || bail "backup day 1"
b 2 --sign-key "$S" || bail "backup day 2"
check "three sealed sets verify" ver
cp_state "$D" "$WORK/good-target"
cp_state "$C" "$WORK/good-cache"
ls "$D" >"$WORK/good-list"
HEADF=$(ls -d "$C"/*/head)
"$X" status --from "$T" --head >"$WORK/head" || bail "status --head"
sets=$(ls "$D" | sed -n 's/^tresor\.\(.*\)\.manifest\.gpg$/\1/p')
day0=$(echo "$sets" | sed -n 1p)
day1=$(echo "$sets" | sed -n 2p)
day2=$(echo "$sets" | sed -n 3p)
seal2="$D/tresor.$day2.seal.asc"
FPR=$(sed -n 's/^sign-key //p' "$seal2")
NFPR=$(GNUPGHOME="$WORK/gnupg-new" gpg --batch --with-colons --list-keys 2>/dev/null |
    awk -F: '/^fpr:/ { print $10; exit }')
[ -n "$FPR" ] && [ -n "$NFPR" ] || bail "fingerprints"

# restore_good: the good target and cache back.
restore_good() {
	cp_state "$WORK/good-target" "$D"
	cp_state "$WORK/good-cache" "$C"
}
# text_of SEAL: the signed text of a seal (tresor-seal 1 ... end).
text_of() {
	sed -n '/^tresor-seal 1$/,/^end$/p' "$1"
}
# sign HOME TEXT OUT: OUT, TEXT clear-signed by the key in gnupg-HOME.
sign() {
	GNUPGHOME="$WORK/gnupg-$1" gpg --batch --quiet --yes --clearsign \
	    -o "$3" "$2" 2>"$WORK/gpg.err" || bail "clearsign $3"
}
# says FILE PATTERN: FILE (a failed run's stderr) is one line "tresor: ..."
# matching PATTERN; if not, what it holds is shown.
says() {
	one_line_error "$1" && grep -q -- "$2" "$1" && return 0
	diag "want: $2"
	diag "got:  $(cat "$1")"
	return 1
}
# refused NAME PATTERN ARG...: verify --seals-only ARG... and restore
# refuse the target: exit non-zero, one line matching PATTERN, restore
# writes nothing. Then the good state is back.
refused() {
	name=$1
	pat=$2
	shift 2
	expect_fail "$WORK/err" "$X" verify --seals-only --from "$T" "$@"
	check "$name: verify refuses" test $? -eq 0
	check "$name: ... in one line naming it" says "$WORK/err" "$pat"
	rm -rf "$WORK/out"
	expect_fail "$WORK/err" "$X" restore --quiet --from "$T" \
	    --to "$WORK/out" --key-file "$WORK/k.sec.asc" "$@"
	check "$name: restore refuses" test $? -eq 0
	check "$name: ... in one line naming it" says "$WORK/err" "$pat"
	check "$name: ... and writes nothing" test ! -e "$WORK/out"
	restore_good
}

# 1. Seals with a good signature and a bad chain.
text_of "$seal2" | sed "s/^set .*/set 20260105T003000Z.inc/" >"$WORK/t"
sign sign "$WORK/t" "$D/tresor.20260105T003000Z.inc.seal.asc"
refused "a fork: two seals of sequence 3" \
    "have the same seal sequence 3: a set replayed or the chain forked"

text_of "$seal2" | sed "s/^previous .*/previous $(printf '%064d' 0)/" >"$WORK/t"
sign sign "$WORK/t" "$seal2"
refused "a seal whose previous is not the seal before it" \
    "the seal of $day2 in .* does not follow $day1's (sequence 2): the chain was rewritten"

text_of "$seal2" | sed "s/^sign-key .*/sign-key $NFPR/" >"$WORK/t"
sign new "$WORK/t" "$seal2"
refused "a seal by another trusted key, no rotation recorded" \
    "$day2 in .* is signed by key $NFPR and $day1 before it by $FPR, with no rotation recorded: a seal slipped in" \
    --sign-pubkey "$P" --previous-sign-key "$NP"

text_of "$seal2" | sed "s/^sign-key .*/sign-key $NFPR/" >"$WORK/t"
sign sign "$WORK/t" "$seal2"
refused "a seal naming another key than its signer" \
    "seal of $day2 in .* names signing key $NFPR but was signed by $FPR: a forged seal"

text_of "$seal2" | sed "s/^sequence .*/- dashed line/" >"$WORK/t"
sign sign "$WORK/t" "$seal2"
check "gpg dash-escapes a line that starts with a dash" \
    grep -q '^- - dashed line$' "$seal2"
# Refused by the armour's check, before the text is parsed: it measures the
# text in the object as long as the signed text, which a dash-escape
# lengthens ("the signature does not follow the text"). tresor writes no
# line that starts with a dash, so such a seal is refused either way.
refused "a well signed text that is no seal (a dash-escaped line)" \
    "seal of $day2 (tresor.$day2.seal.asc in .*): "
text_of "$seal2" | sed "s/^sequence .*/sequence x/" >"$WORK/t"
sign sign "$WORK/t" "$seal2"
refused "a well signed text that is no seal (sequence x)" \
    "seal of $day2 (tresor.$day2.seal.asc in .*): .*sequence"

# 2. Armour that gpg accepts, or a seal that is no clear-signed message,
# from the good newest seal.
cp "$seal2" "$WORK/seal2"
sed 's/^end$/end  /' "$WORK/seal2" >"$seal2"
refused "blanks after the text's last line" \
    "its text is not the text signed: an altered seal"

sed -n '1,2p' "$WORK/seal2" >"$seal2"
refused "a seal cut after its Hash line" "seal of $day2 .*: .*forged or altered seal"
sed -n '/^-----BEGIN PGP SIGNATURE-----$/q; p' "$WORK/seal2" >"$seal2"
refused "a seal cut before its signature" "seal of $day2 .*: .*forged or altered seal"
{ echo "leading text"; cat "$WORK/seal2"; } >"$seal2"
refused "a line before the armour" \
    "its first lines are not a clear-signed message's: an altered seal"

sed '2s/^\(Hash: .*\)$/\1\n\1/' "$WORK/seal2" >"$seal2"
refused "two Hash headers" \
    "its armour header is not one \"Hash:\" line: an altered seal"

sed 's/^-----BEGIN PGP SIGNATURE-----$/&\nVersion: 1/' "$WORK/seal2" >"$seal2"
refused "a Version header in the signature" \
    "the signature does not follow the text: an altered seal"

awk '/^-----BEGIN PGP SIGNATURE-----$/ { s = 1 } s && /^[A-Za-z0-9+\/]+$/ && !done { $0 = $0 " "; done = 1 } { print }' \
    "$WORK/seal2" >"$seal2"
refused "a blank after a base64 line" \
    "its signature's armour has a stray byte: an altered seal"

# An empty seal object: no clear-signed message at all.
: >"$seal2"
refused "an empty seal" "seal of $day2 .*no valid OpenPGP signature: a forged or altered seal"

# 3. The cache's head, or --head, against the target.
# sethead FIELD VALUE: the cache head with one field (3: target, 4:
# sequence, 5: hash, 6: set) replaced.
sethead() {
	awk -v f="$1" -v v="$2" '{ $f = v; print }' "$WORK/good-cache/${HEADF#"$C"/}" >"$HEADF"
}
other=0123456789abcdef0123456789abcdef
sethead 3 "$other"
refused "a cache head of another target" \
    "$day0 in .* is sealed for another target (id [0-9a-f]*; this target's is $other): a set spliced in"
sethead 3 "$other"
refused "the same, with a good --head: the cache is named" \
    "the seals in .* are of target [0-9a-f]*, but this host's cache knows target $other: the target was replaced" \
    --head "$WORK/head"
sethead 4 2
refused "a cache head whose seal 2 is another" \
    "seal sequence 2 in .* is $day1, but this host's cache saw $day2 there: the chain was rewritten"
echo "tresor-head garbage" >"$HEADF"
refused "a damaged cache head" "cache head '$HEADF': not a tresor head"
echo "tresor-head garbage" >"$HEADF"
expect_fail "$WORK/err" b 3 --sign-key "$S"
check "a damaged cache head: backup refuses in one line naming it" \
    says "$WORK/err" "cache head '$HEADF': not a tresor head"
check "... and writes nothing" sh -c "ls '$D' | cmp -s - '$WORK/good-list'"
restore_good
mkdir "$WORK/headdir"
refused "--head naming a directory" "unable to read '$WORK/headdir'" \
    --head "$WORK/headdir"
refused "--head naming a file under a file" "unable to read '$WORK/head/x'" \
    --head "$WORK/head/x"
rm "$C"/*/signkeys.asc && mkdir "$(dirname "$HEADF")/signkeys.asc"
refused "the cache's keys unreadable (a directory)" \
    "unable to read '$(dirname "$HEADF")/signkeys.asc'"

# A cache directory that cannot be made: verify goes on with a warning.
: >"$WORK/not-a-dir"
"$X" verify --seals-only --from "$T" --sign-pubkey "$P" --head "$WORK/head" \
    --cache-dir "$WORK/not-a-dir" >/dev/null 2>"$WORK/err"
check "no usable cache directory: verify with --head passes" test $? -eq 0
check "... warning that the rollback check has only --head" \
    grep -q "warning: no local cache (.*): the rollback check has only --head" "$WORK/err"
expect_fail "$WORK/err" "$X" status --from "$T" --head --cache-dir "$WORK/not-a-dir"
check "... status --head there: refused in one line" says "$WORK/err" "not-a-dir"

# 4. A writer's keys and cache.
expect_fail "$WORK/err" b 3 --sign-key "$S" --sign-pubkey "$WORK/missing.asc"
check "backup with a --sign-pubkey naming no file: one line naming it" \
    says "$WORK/err" "--sign-pubkey '$WORK/missing.asc' does not exist"
expect_fail "$WORK/err" b 3 --sign-key "$S" --previous-sign-key "$WORK/missing.asc"
check "backup with a --previous-sign-key naming no file: one line naming it" \
    says "$WORK/err" "--previous-sign-key '$WORK/missing.asc' does not exist"
expect_fail "$WORK/err" b 3 --sign-key "$WORK/missing.asc"
check "backup with a --sign-key naming no file: one line naming it" \
    says "$WORK/err" "$WORK/missing.asc"
check "... and nothing written" sh -c "ls '$D' | cmp -s - '$WORK/good-list'"
echo "no key here" >"$(dirname "$HEADF")/signkeys.asc"
expect_fail "$WORK/err" b 3 --sign-key "$S" --sign-pubkey "$NP"
check "backup with the cache's keys damaged: one line naming the file" \
    says "$WORK/err" "$(dirname "$HEADF")/signkeys.asc"
check "... and nothing written" sh -c "ls '$D' | cmp -s - '$WORK/good-list'"
# The newest seal by a key the writer does not know: the cache's keys are
# read again, and are damaged.
echo "no key here" >"$(dirname "$HEADF")/signkeys.asc"
text_of "$seal2" | sed "s/^sign-key .*/sign-key $NFPR/" >"$WORK/t"
sign new "$WORK/t" "$seal2"
expect_fail "$WORK/err" b 3 --sign-key "$S"
check "backup, newest seal by an unknown key, cache keys damaged: one line" \
    says "$WORK/err" "$(dirname "$HEADF")/signkeys.asc"
restore_good
# Two seals of the same second (a backup and a purge may share one): the
# writer follows the higher sequence, whichever name sorts first.
sha=$(sha256sum "$seal2" | cut -d' ' -f1)
twin="${day2%.inc}.full"
text_of "$seal2" | sed "s/^set .*/set $twin/; s/^sequence .*/sequence 4/;
    s/^previous .*/previous $sha/" >"$WORK/t"
sign sign "$WORK/t" "$D/tresor.$twin.seal.asc"
b 3 --sign-key "$S" 2>"$WORK/err"
check "two newest seals of one second: the backup passes" test $? -eq 0
check "... its seal follows the higher sequence (5)" \
    grep -q '^sequence 5$' "$D/tresor.$(date -u -d @"$(at 3)" +%Y%m%dT%H%M%SZ).inc.seal.asc"
restore_good

# 5. Purge of a chain some of whose seals are gone or altered.
b 40 --sign-key "$S" --full || bail "backup day 40"
cp_state "$D" "$WORK/good-target"
cp_state "$C" "$WORK/good-cache"
ls "$D" >"$WORK/good-list"
purge() {
	TRESOR_NOW=$(at 80) "$X" purge --quiet --from "$T" --older-than 30D \
	    --force --sign-key "$S" "$@"
}
printf 'x' >>"$D/tresor.$day1.seal.asc"
expect_fail "$WORK/err" purge
check "purge with an altered seal among the sets it removes: one line" \
    says "$WORK/err" "purge: nothing removed: .*seal of $day1 .*an altered seal"
check "... and removes nothing" sh -c "ls '$D' | cmp -s - '$WORK/good-list'"
restore_good
rm "$D/tresor.$day0.seal.asc"
purge 2>"$WORK/err"
check "purge with a seal already gone passes" test $? -eq 0
check "... removing the chain" test ! -e "$D/tresor.$day0.manifest.gpg"
check "... its record lists the two seals there were" \
    test "$(grep -c '^removed ' "$D"/tresor.*.purge.seal.asc)" -eq 2
check "verify after it passes, the old --head a seal the purge removed" \
    ver --head "$WORK/head"
expect_fail "$WORK/err" ver --head "$WORK/head0"
check "... but a --head of the seal deleted before: refused in one line" \
    says "$WORK/err" "seal sequence 1 ($day0), which --head saw, is gone from .* and no purge removed it: a set was deleted"

# 6. The seal writer's cache files failing to be written (faultshim, on
# a fresh cache, so --full: its signing keys are written with the head,
# after the seal is published). The run fails with one line naming the
# file and leaves no temporary file; the next run passes.
SHIM="$TESTS_BUILDDIR/helpers/faultshim.so"
[ -f "$SHIM" ] || bail "no $SHIM (make check builds it)"
[ -n "${SANITIZED:-}" ] &&
    ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" &&
    export ASAN_OPTIONS
FC="$WORK/fault-cache"
# fb DAY FAULT: a backup on day DAY into a fresh cache dir, FAULT failing.
fb() {
	echo "$1" >>"$V/b.txt"
	: >"$WORK/fault.log"
	LD_PRELOAD="$SHIM" TRESOR_FAULT="$2" TRESOR_FAULT_LOG="$WORK/fault.log" \
	    TRESOR_CACHE_DIR="$FC" TRESOR_NOW=$(at "$1") "$X" backup --quiet \
	    --full --to "$T" --key-file "$WORK/k.pub.asc" --sign-key "$S" "$V"
}
day=80
for fault in open:1:EIO:signkeys.asc.tmp open:1:EIO:signkeys.fpr.tmp \
    close:1:EIO:/head.tmp; do
	day=$((day + 1))
	file=${fault##*:}
	file=${file#/}
	expect_fail "$WORK/err" fb "$day" "$fault"
	check "$file not written: the backup fails" test $? -eq 0
	check "... the fault happened" test -s "$WORK/fault.log"
	check "... one line: the set is published, the file not written" says \
	    "$WORK/err" "was published in .*, but the run then failed (check it with tresor verify): unable to write '$FC/.*/$file'"
	check "... no temporary file left in the cache" \
	    sh -c "! ls -a '$FC'/*/ | grep -q '\.tmp\$'"
done
day=$((day + 1))
fb "$day" "" 2>"$WORK/err"
check "the next backup passes" test $? -eq 0
newest="$D/tresor.$(date -u -d @"$(at "$day")" +%Y%m%dT%H%M%SZ).full.seal.asc"
check "... the cache's head is its seal, sequence 9" sh -c \
    "'$X' status --from '$T' --head --cache-dir '$FC' |
     grep -q \"^tresor-head 1 [0-9a-f]* 9 \$(sha256sum '$newest' | cut -d' ' -f1) \""
check "verify of the whole chain passes" ver --sign-pubkey "$P" --cache-dir "$FC"
rm -rf "$WORK/out"
"$X" restore --quiet --from "$T" --to "$WORK/out" --key-file "$WORK/k.sec.asc" \
    --cache-dir "$FC"
check "... restore passes, byte-identical" "$TREEDIFF" "$V" "$WORK/out/vault"

# 7. The signing key from env.yml (recover-from-backup --config): the
# seals are checked against it. The newest set holds no database dump, so
# recover stops there, after the seals passed; nothing is written. With
# the cache's keys a damaged key block, the one line names the file.
mkdir -p "$WORK/rv" "$WORK/rd" "$WORK/state"
{
	echo "appliance:"
	echo "  backup:"
	echo "    url: $T"
	echo "    sources: [$V]"
	echo "    state_dir: $WORK/state"
	echo "    deadline: none"
	echo "    encrypt: |"
	sed 's/^/      /' "$WORK/k.sec.asc"
	echo "    sign: |"
	sed 's/^/      /' "$S"
} >"$WORK/env.yml"
RC="$WORK/recover-cache"
rec() {
	TRESOR_CACHE_DIR="$RC" "$X" recover-from-backup --yes-i-am-sure \
	    --only-restore --config "$WORK/env.yml" --vault "$WORK/rv" \
	    --dump-dir "$WORK/rd"
}
expect_fail "$WORK/err" rec
check "recover, the signing key from env.yml: the seals pass, the set has no dump" \
    says "$WORK/err" "set .* holds no database dump"
check "... and nothing is written" sh -c "[ -z \"\$(ls -A '$WORK/rv')\$(ls -A '$WORK/rd')\" ]"
printf -- '-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nAAAAAAAA\n-----END PGP PUBLIC KEY BLOCK-----\n' \
    >"$(ls -d "$RC"/*/)signkeys.asc"
expect_fail "$WORK/err" rec
check "... with the cache's keys a damaged key block: one line naming the file" \
    says "$WORK/err" "$RC/.*/signkeys.asc"
check "... and nothing is written" sh -c "[ -z \"\$(ls -A '$WORK/rv')\$(ls -A '$WORK/rd')\" ]"

done_testing
