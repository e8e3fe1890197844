#!/bin/sh
# gpg-faults.sh: gpg misbehaving. A fake gpg (and gpgv) first in PATH runs
# the real one, except for the run whose arguments hold $FAKE_GPG_ON: that
# run exits 2, dies by SIGKILL, prints garbage and exits 0, or says
# nothing and exits 0 ($FAKE_GPG_DO). Backup (encryption, seal signing),
# restore (session-key extraction and the pgpdec path, TRESOR_DECRYPT=gpg's
# gpg decryption, the seal's gpgv check) must each fail with one line that
# names gpg, never call the data damaged, never publish a set and leave no
# temporary file. Then the shim (tests/helpers/faultshim.so) fails the Nth
# pthread_create and the Nth write into a pipe; FAULT_MAX (default 8)
# bounds N, FAULT_MAX=100 sweeps every one. Before it, gpg's status lines (a
# passphrase missing, a recipient unusable, no MDC, an overlong or
# unterminated line) must give their own one-line messages.
. "$TOP_SRCDIR/tests/integration/lib.sh"

REAL_GPG=$(command -v gpg) || bail "gpg is missing (Debian package gnupg)"
REAL_GPGV=$(command -v gpgv) || bail "gpgv is missing (Debian package gpgv)"
FAKE="$WORK/fakebin"
mkdir -p "$FAKE" || bail "mkdir"
for prog in gpg gpgv; do
	real=$REAL_GPG
	[ $prog = gpgv ] && real=$REAL_GPGV
	cat >"$FAKE/$prog" <<FAKEGPG || bail "fake $prog"
#!/bin/sh
# Fake $prog (tests/integration/gpg-faults.sh).
on=\${FAKE_${prog}_ON:-}
case " \$* " in
*" --version "*) exec "$real" "\$@" ;;
esac
if [ -n "\$on" ]; then
	case " \$* " in
	*" \$on"*)
		case \${FAKE_GPG_DO:-exit} in
		exit) echo "fake $prog: failing" >&2; exit 2 ;;
		kill) kill -KILL \$\$ ;;
		garbage) echo "[GNUPG:] GARBAGE \$\$"; echo 'not OpenPGP at all'
			exit 0 ;;
		silent) exit 0 ;;
		status) # FAKE_GPG_STATUS (printf format) on the status fd
			for a; do
				case \$a in --status-fd=*) fd=\${a#--status-fd=} ;; esac
			done
			cat >/dev/null
			printf "\$FAKE_GPG_STATUS" >/dev/fd/\$fd
			exit \${FAKE_GPG_RC:-2} ;;
		esac ;;
	esac
fi
exec "$real" "\$@"
FAKEGPG
	chmod 755 "$FAKE/$prog"
done
# The fake is found by name on PATH (gpgme's and tresor's gpg, gpgv from
# gpg's own directory).
PATH="$FAKE:$PATH"
export PATH

make_key k
V="$WORK/vault"
mkdir -p "$V/d" "$WORK/t"
head -c 200000 /dev/urandom >"$V/d/random.bin"
printf 'hello\n' >"$V/hello.txt"
T="file://$WORK/t"

TRESOR_NOW=$(at 1) "$TRESOR" backup --quiet --to "$T" --key-file "$WORK/k.pub.asc" "$V" ||
    bail "backup through the fake gpg, not failing"
"$TRESOR" restore --quiet --from "$T" --to "$WORK/ok" --key-file "$WORK/k.sec.asc" &&
    "$TREEDIFF" "$V" "$WORK/ok/vault" || bail "restore through the fake gpg"
check "the fake gpg, passing every run through, backs up and restores" true

printf 'changed\n' >"$V/hello.txt"

# gpg_failed WHAT ERRFILE: one line, naming gpg, not calling data damaged.
gpg_failed() {
	one_line_error "$2" && grep -qi 'gpg' "$2" &&
	    ! grep -qi 'damaged\|corrupt' "$2" || { sed 's/^/# /' "$2"; return 1; }
}

# one_line_only ERRFILE: for gpg runs through gpgme that fail without a
# word (importing a key file): gpgme reports no error, tresor sees no key.
one_line_only() {
	one_line_error "$1" && ! grep -qi 'damaged\|corrupt' "$1" ||
	    { sed 's/^/# /' "$1"; return 1; }
}

# backup_case ON DO [TARGET]: a backup whose gpg run with ON in its
# arguments misbehaves as DO.
backup_case() {
	bt=${3:-$WORK/t}
	ls -A "$bt" >"$WORK/before-b"
	expect_fail "$WORK/err" env FAKE_gpg_ON="$1" FAKE_GPG_DO="$2" \
	    TRESOR_NOW=$(at 2) "$TRESOR" backup ${3:+--full} --to "file://$bt" --key-file "$WORK/k.pub.asc" "$V"
	rc=$?
	check "backup, gpg $1 $2: fails" test $rc -eq 0
	if [ "$1" = --import ]; then
		check "... with one line" one_line_only "$WORK/err"
	else
		check "... with one line naming gpg" gpg_failed "$1" "$WORK/err"
	fi
	[ "$1" = --clearsign ] && return 0
	check "... publishing nothing, leaving nothing" \
	    sh -c "ls -A '$bt' | cmp -s - '$WORK/before-b'"
}
for how in exit kill garbage silent; do
	backup_case --encrypt $how
done
backup_case --import exit
# Signing the seal comes after the set is published (backup/): the run
# fails naming gpg and the published set, on a copy of the target.
for how in exit kill; do
	rm -rf "$WORK/ts" && cp -r "$WORK/t" "$WORK/ts" || bail "copy"
	backup_case --clearsign $how "$WORK/ts"
	check "... saying the set was published unsealed" \
	    sh -c "grep -q 'was published.*tresor verify' '$WORK/err' || sed 's/^/# /' '$WORK/err'"
done

# restore_case ON DO [ENV...]: a restore whose gpg run with ON misbehaves.
restore_case() {
	on=$1 how=$2
	shift 2
	rm -rf "$WORK/out"
	expect_fail "$WORK/err" env FAKE_gpg_ON="$on" FAKE_gpgv_ON="${GPGV_ON:-}" \
	    FAKE_GPG_DO="$how" "$@" \
	    "$TRESOR" restore --from "$T" --to "$WORK/out" --key-file "$WORK/k.sec.asc"
	rc=$?
	check "restore, gpg${GPGV_ON:+v} $on $how $*: fails" test $rc -eq 0
	if [ "$on" = --import ] || { [ "$how" = garbage ] && [ -n "${GPGV_ON:-}" ]; }; then
		check "... with one line" one_line_only "$WORK/err"
	else
		check "... with one line naming gpg" gpg_failed "$on" "$WORK/err"
	fi
	check "... restoring no file" \
	    sh -c "! find '$WORK/out' -type f 2>/dev/null | grep -q ."
}
# The session key's gpg run failing: restore falls back to gpg decrypting
# the whole object (gpgproc.c) and succeeds, byte-identical.
for how in exit kill garbage silent; do
	rm -rf "$WORK/out"
	check "restore, gpg --show-session-key $how: falls back, same data" \
	    sh -c "FAKE_gpg_ON=--show-session-key FAKE_GPG_DO=$how '$TRESOR' restore --quiet --from '$T' --to '$WORK/out' --key-file '$WORK/k.sec.asc' && '$TREEDIFF' '$WORK/ok/vault' '$WORK/out/vault'"
done
# Both failing (the fake matches --decrypt in the fallback's run too).
for how in exit kill silent; do
	restore_case --decrypt $how
	restore_case --decrypt $how TRESOR_DECRYPT=gpg
done
restore_case --import kill

# status_case ON RC STATUS WORDS [ENV...]: gpg's run with ON says STATUS
# (printf format, "[GNUPG:] " added to each line) on its status fd and
# exits RC: the run fails with one line holding WORDS.
status_case() {
	on=$1 src=$2 st=$3 raw=$3 words=$4
	shift 4
	rm -rf "$WORK/out"
	st=$(printf '%s' "$st" | sed 's/^/[GNUPG:] /; s/\\n/\\n[GNUPG:] /g; s/\[GNUPG:\] $//')
	if [ "$on" = --encrypt ]; then
		DAY=$((${DAY:-20} + 1))
		expect_fail "$WORK/err" env FAKE_gpg_ON=$on FAKE_GPG_DO=status \
		    FAKE_GPG_STATUS="$st" FAKE_GPG_RC=$src TRESOR_NOW=$(at 40) \
		    "$TRESOR" backup --to "$T" --key-file "$WORK/k.pub.asc" "$V"
	else
		expect_fail "$WORK/err" env FAKE_gpg_ON=$on FAKE_GPG_DO=status \
		    FAKE_GPG_STATUS="$st" FAKE_GPG_RC=$src TRESOR_DECRYPT=gpg "$@" \
		    "$TRESOR" restore --from "$T" --to "$WORK/out" --key-file "$WORK/k.sec.asc"
	fi
	rc=$?
	check "gpg $on, status lines for \"$words\", exit $src: fails" test $rc -eq 0
	check "... with one line: $words" \
	    sh -c "one_line() { [ \$(wc -l <'$WORK/err') -eq 1 ]; }; one_line && grep -q '$words' '$WORK/err' || { sed 's/^/# /' '$WORK/err'; exit 1; }"
}
status_case --decrypt 2 'MISSING_PASSPHRASE\n' 'a passphrase is needed'
status_case --decrypt 2 'ERROR pkdecrypt_failed 177\n' 'a passphrase is needed'
status_case --decrypt 2 'BAD_PASSPHRASE 0123456789ABCDEF\n' 'unable to decrypt'
status_case --decrypt 2 'ERROR pkdecrypt_failed 11\n' 'unable to decrypt'
status_case --decrypt 2 'NODATA 1' 'not an OpenPGP message'
status_case --decrypt 2 "NODATA $(head -c 3000 /dev/zero | tr '\0' x)\n" 'not an OpenPGP message'
status_case --decrypt 2 'BEGIN_DECRYPTION\nPLAINTEXT 62 0\nDECRYPTION_FAILED\n' 'decryption failed after it'
status_case --decrypt 0 'BEGIN_DECRYPTION\nPLAINTEXT 62 0\nDECRYPTION_OKAY\n' 'not integrity protected'
status_case --encrypt 2 'INV_RECP 0 x\n' 'a recipient key is not usable'
GPGV_ON=--keyring
for how in exit kill garbage silent; do
	restore_case __none__ $how
done

# --- threads and pipes (tests/helpers/faultshim.so) ---
# The Nth pthread_create failing (EAGAIN: the gpg feeder and drain
# threads, async stages), the Nth write into a pipe (towards gpg, or from
# it) failing with EPIPE or EIO: one line, no "corrupt", nothing published,
# N raised until the fault no longer happens (FAULT_MAX, default 8; CI).
SHIM="$TESTS_BUILDDIR/helpers/faultshim.so"
[ -f "$SHIM" ] || bail "$SHIM is missing (make check builds it)"
[ -n "${SANITIZED:-}" ] &&
    ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" &&
    export ASAN_OPTIONS
rm -rf "$WORK/t" "$WORK/cache" && mkdir -p "$WORK/t" || bail "reset"
TRESOR_NOW=$(at 1) "$TRESOR" backup --quiet --to "$T" --key-file "$WORK/k.pub.asc" "$V" ||
    bail "backup for the shim cases"

# shim_case VERB SPEC: a run under TRESOR_FAULT=SPEC; 1 when the fault
# never happened. The binary itself, not lib.sh's wrapper script: the shim
# removes LD_PRELOAD from the first program it is loaded in. A run may
# also succeed despite the fault (a stage with no thread runs inline, a
# failed session-key run falls back to gpg): then its result must be whole.
DAY=2
shim_case() {
	: >"$WORK/fault.log"
	rm -rf "$WORK/out"
	ls -A "$WORK/t" >"$WORK/before-s"
	if [ "$1" = backup ]; then
		DAY=$((DAY + 1))
		LD_PRELOAD="$SHIM" TRESOR_FAULT="$2" TRESOR_FAULT_LOG="$WORK/fault.log" \
		    TRESOR_NOW=$(at $DAY) "$TRESOR_REAL" backup \
		    --sign-key "$WORK/sign.sec.asc" --to "$T" \
		    --key-file "$WORK/k.pub.asc" "$V" >/dev/null 2>"$WORK/err"
	else
		LD_PRELOAD="$SHIM" TRESOR_FAULT="$2" TRESOR_FAULT_LOG="$WORK/fault.log" \
		    "$TRESOR_REAL" restore --sign-pubkey "$WORK/sign.pub.asc" \
		    --from "$T" --to "$WORK/out" \
		    --key-file "$WORK/k.sec.asc" >/dev/null 2>"$WORK/err"
	fi
	rc=$?
	[ -s "$WORK/fault.log" ] || return 1
	if [ $rc -eq 0 ] && [ "$1" = backup ]; then
		rm -rf "$WORK/out"
		check "$1, $2: succeeds anyway, and the set restores whole" \
		    sh -c "'$TRESOR' restore --quiet --from '$T' --to '$WORK/out' --key-file '$WORK/k.sec.asc' && '$TREEDIFF' '$V' '$WORK/out/vault'"
		return 0
	elif [ $rc -eq 0 ]; then
		check "$1, $2: succeeds anyway, byte-identical" \
		    "$TREEDIFF" "$V" "$WORK/out/vault"
		return 0
	fi
	# A warning that the last failed run's set was sealed now may come
	# first (backup/ seals a set left unsealed).
	grep -v '^tresor: warning: .*sealed now$' "$WORK/err" >"$WORK/err1"
	check "$1, $2: fails with one line, not calling data corrupt" \
	    one_line_only "$WORK/err1"
	# The seal is signed after the set is published (backup/): a fault
	# there leaves a published set, said so, sealed by the next run.
	if grep -q 'was published.*tresor verify' "$WORK/err1"; then
		check "... naming gpg and the published set" \
		    grep -q 'gpg was unable to sign' "$WORK/err1"
		return 0
	fi
	check "... publishing nothing, leaving nothing" \
	    sh -c "ls -A '$WORK/t' | cmp -s - '$WORK/before-s'"
	return 0
}
for verb in restore backup; do
	for spec in pthread_create:%s:EAGAIN write:%s:EPIPE:pipe: write:%s:EIO:pipe:; do
		n=1
		while [ $n -le "${FAULT_MAX:-8}" ]; do
			shim_case $verb "$(printf "$spec" $n)" || break
			n=$((n + 1))
		done
		check "$verb, $(printf "$spec" N): the fault happened ($((n - 1)) runs)" \
		    test $n -gt 1
	done
done

# The end of every decrypting run stops its private home's gpg-agent by
# KILLAGENT on the agent's socket: no gpgconf (four programs for the same
# line) and no gpg-connect-agent. Where that socket cannot be reached (the
# shim fails tresor's connect to it, as when /run/user/UID puts it
# elsewhere), gpg-connect-agent says it, and its complaints must not reach
# the user. Fakes of both first in PATH note their runs; the fake
# gpg-connect-agent runs the real one, then complains and fails. A short
# TMPDIR of its own holds the homes (below 41 bytes they go there):
# nothing may be left in it, nor an agent of one ([t]: not to match the
# sh -c that runs pgrep).
use_faultshim
AT=$(mktemp -d /tmp/tr-gf.XXXXXX) || bail "mktemp"
cat >"$FAKE/gpgconf" <<FAKECONF || bail "fake gpgconf"
#!/bin/sh
echo "\$*" >>"$WORK/gpgconf.calls"
exec "$(command -v gpgconf)" "\$@"
FAKECONF
cat >"$FAKE/gpg-connect-agent" <<FAKECA || bail "fake gpg-connect-agent"
#!/bin/sh
echo "\$*" >>"$WORK/gca.calls"
"$(command -v gpg-connect-agent)" "\$@" >/dev/null 2>&1
echo "gpg-connect-agent: no gpg-agent running in this session" >&2
exit 1
FAKECA
chmod 755 "$FAKE/gpgconf" "$FAKE/gpg-connect-agent"
check "pgrep is installed (procps)" sh -c "command -v pgrep >/dev/null"
rm -rf "$WORK/conf"
TMPDIR=$AT "$TRESOR" restore --quiet --from "$T" --to "$WORK/conf" \
    --key-file "$WORK/k.sec.asc" 2>"$WORK/err-conf"
check "restore with the agent's socket in its home: exits 0" test $? -eq 0
check "... says nothing" test ! -s "$WORK/err-conf"
check "... runs neither gpgconf nor gpg-connect-agent" \
    test ! -e "$WORK/gpgconf.calls" -a ! -e "$WORK/gca.calls"
check "... leaves no GnuPG home" test -z "$(ls -A "$AT")"
check "... nor a gpg-agent of one" \
    sh -c "! pgrep -f 'gpg-agen[t] --homedir $AT/' >/dev/null"
rm -rf "$WORK/conf"
LD_PRELOAD="$SHIM" TRESOR_FAULT="connect:0:EACCES:S.gpg-agent" \
    TRESOR_FAULT_LOG="$WORK/fault-conf.log" TMPDIR=$AT "$TRESOR_REAL" \
    restore --quiet --sign-pubkey "$WORK/sign.pub.asc" --from "$T" \
    --to "$WORK/conf" --key-file "$WORK/k.sec.asc" 2>"$WORK/err-conf"
check "restore that cannot reach the agent's socket: exits 0" test $? -eq 0
check "... the connect failed (the shim says)" test -s "$WORK/fault-conf.log"
check "... says nothing of gpg-connect-agent's complaint" \
    test ! -s "$WORK/err-conf"
check "... stops the agent through gpg-connect-agent" \
    grep -q -- "--no-autostart KILLAGENT" "$WORK/gca.calls"
check "... not gpgconf" test ! -e "$WORK/gpgconf.calls"
check "... leaves no GnuPG home" test -z "$(ls -A "$AT")"
check "... nor a gpg-agent of one" \
    sh -c "! pgrep -f 'gpg-agen[t] --homedir $AT/' >/dev/null"
"$TRESOR" verify --quiet --from "$T" --key-file "$WORK/k.sec.asc" \
    2>"$WORK/err-conf2" >/dev/null
check "verify says nothing either" test ! -s "$WORK/err-conf2"
rm -f "$FAKE/gpgconf" "$FAKE/gpg-connect-agent"
rmdir "$AT"

done_testing
