#!/bin/sh
# secrets.sh: a password in a target URL never appears in a message, the
# status output, the argv others can read, or the cache, whatever
# characters it holds; one target spelled two ways has one cache; a bad
# scheme, the help texts and an unusable default cache directory tell the
# user what to do.
. "$TOP_SRCDIR/tests/integration/lib.sh"

make_key k
mkdir -p "$WORK/src/vault" "$WORK/target"
printf 'hello\n' >"$WORK/src/vault/hello.txt"

# Every password holds SEKRET; user names hold the same characters.
# 127.0.0.1:1 refuses at once, so every verb fails on the network.
n=0
for cred in 'backup:p@ssw0rd-SEKRET' 'backup:pa/ss-SEKRET' \
    'backup:a:b;c@d/SEKRET%25' 'back@up:SEKRET@x' 'us/er;1:SEKRET/' \
    'u%3Ax:%53EKRET%2F%40%3A' "$(printf '\303\274ser:s\303\251SEKRET\342\202\254')" \
    'x://y:SEKRET//'; do
	n=$((n + 1))
	for url in "ftp://$cred@127.0.0.1:1/x" "sftp://$cred@127.0.0.1:1//srv/x" \
	    "ftp://$cred@127.0.0.1:99999/x" "sftp://$cred@/x" "fiel://$cred@host/x" \
	    "$cred@host/x"; do
		for verb in status verify purge cleanup restore backup; do
			case $verb in
			backup) set -- --to "$url" --key-file "$WORK/k.pub.asc" \
			    "$WORK/src/vault" ;;
			restore) set -- --from "$url" --to "$WORK/out" \
			    --key-file "$WORK/k.sec.asc" ;;
			purge) set -- --from "$url" --older-than 1D --force ;;
			*) set -- --from "$url" ;;
			esac
			"$TRESOR" "$verb" --verbose "$@" --connect-timeout 2 \
			    --retries 1 >>"$WORK/out.$n" 2>&1 </dev/null
			echo "exit $?" >>"$WORK/out.$n"
		done
	done
	diag "credentials $n: $(grep -v '^exit' "$WORK/out.$n" | sort -u | head -3 | tr '\n' '|')"
	check "credentials $n: every verb failed" sh -c "! grep -q '^exit 0' '$WORK/out.$n'"
	check "credentials $n: no password in any message or output" \
	    sh -c "! grep -q 'EKRET\|ssw0rd' '$WORK/out.$n'"
done
check "no password in the cache directory" \
    sh -c "! grep -r -q 'EKRET\|ssw0rd' '$TRESOR_CACHE_DIR' 2>/dev/null"

# The argv others read (/proc, ps) while tresor runs: a server that
# accepts and never answers keeps tresor waiting for its greeting.
python3 -c '
import socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(16)
print(s.getsockname()[1], flush=True)
time.sleep(60)
' >"$WORK/port" &
silent=$!
i=0
while [ ! -s "$WORK/port" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
port=$(cat "$WORK/port")
for cred in 'backup:pa/ss-SEKRET' 'backup:p@ss;SEKRET@x' 'u:SEKRET/%2F:@'; do
	"$TRESOR" status --from "ftp://$cred@127.0.0.1:$port/x" --connect-timeout 3 \
	    --timeout 3 --retries 1 >/dev/null 2>"$WORK/err" &
	pid=$!
	sleep 1
	tr '\0' ' ' <"/proc/$pid/cmdline" >"$WORK/cmdline" 2>/dev/null
	wait $pid
	diag "argv: $(cat "$WORK/cmdline")"
	check "'$(echo "$cred" | sed 's/SEKRET/.../')': the argv holds no password while running" \
	    sh -c "grep -q 'ftp://' '$WORK/cmdline' && ! grep -q EKRET '$WORK/cmdline'"
	check "... nor does its error" sh -c "grep -q . '$WORK/err' && ! grep -q EKRET '$WORK/err'"
done
kill "$silent" 2>/dev/null
wait "$silent" 2>/dev/null

# One cache per target, however spelled.
TRESOR_NOW=$(at 0) "$TRESOR" backup --quiet --to "file://$WORK/target" \
    --key-file "$WORK/k.pub.asc" "$WORK/src/vault" || bail "backup failed"
printf 'changed\n' >"$WORK/src/vault/hello.txt"
TRESOR_NOW=$(at 1) "$TRESOR" backup --quiet --to "file://$WORK//target/" \
    --key-file "$WORK/k.pub.asc" "$WORK/src/vault" 2>"$WORK/err"
rc=$?
diag "$(cat "$WORK/err")"
check "an incremental to another spelling of the target succeeds" test $rc -eq 0
check "... using the same cache directory" \
    test "$(ls "$TRESOR_CACHE_DIR" | wc -l)" -eq 1
check "... whose url file holds the normalised URL" \
    test "$(cat "$TRESOR_CACHE_DIR"/*/url)" = "file://$WORK/target"
check "... and the second set is an incremental" \
    test "$(ls "$WORK/target" | grep -c '\.inc\..*manifest')" -eq 1

# Every verb frees its copy of the URL (LeakSanitizer, when built with
# --enable-sanitizers, reported cli_target_url on every verb).
if [ -n "${SANITIZED:-}" ]; then
	for verb in status verify purge cleanup restore fetch backup; do
		"$TRESOR" "$verb" --from "file://$WORK/nonexistent" --to "file://$WORK/nonexistent" \
		    >/dev/null 2>"$WORK/err"
		check "$verb: no leak reported" sh -c "! grep -q 'LeakSanitizer' '$WORK/err'"
	done
fi

# An unknown scheme is named, with the ones there are.
for url in 'fiel://x' 'fiel:///x' 'Fiel://host/x'; do
	expect_fail "$WORK/err" "$TRESOR" status --from "$url"
	diag "$(cat "$WORK/err")"
	check "'$url': one line naming the scheme" \
	    sh -c "one_line_error() { [ \$(wc -l <\"\$1\") -eq 1 ]; }; one_line_error '$WORK/err' && grep -qi \"scheme 'fiel'\" '$WORK/err'"
	check "... and listing file, sftp, scp, ftp, ftps" \
	    grep -q 'file, sftp, scp, ftp, ftps' "$WORK/err"
done

# Help texts.
"$TRESOR" status --help >"$WORK/help" 2>&1
check "status --help describes --json" grep -q -- '--json  .*JSON' "$WORK/help"
check "status --help describes --older-than" \
    grep -q -- '--older-than T  .*purge' "$WORK/help"
"$TRESOR" backup --help >"$WORK/help" 2>&1
for form in 'file:///' 'sftp://user\[:password\]@host\[:port\]/path' \
    'scp://user' 'ftp://user\[:password\]@host' 'ftps://user' '//path absolute' \
    'FTP_PASSWORD'; do
	check "backup --help shows $form" grep -q "$form" "$WORK/help"
done

# The default cache directory needs root: say what to do instead.
if [ "$(id -u)" -eq 0 ] || [ ! -w /var/cache ]; then
	mkdir -p "$WORK/nobody-target" "$WORK/nobody-home"
	chmod 777 "$WORK/nobody-target" "$WORK/nobody-home"
	cp "$WORK/k.pub.asc" "$WORK/pub-for-nobody.asc" && chmod 644 "$WORK/pub-for-nobody.asc"
	chmod -R go+rX "$WORK/src"
	expect_fail "$WORK/err" as_unprivileged env -u TRESOR_CACHE_DIR \
	    HOME="$WORK/nobody-home" "$WORK/bin/tresor" backup \
	    --to "file://$WORK/nobody-target" --key-file "$WORK/pub-for-nobody.asc" \
	    "$WORK/src/vault"
	diag "$(cat "$WORK/err")"
	check "unwritable default cache: one line naming it" \
	    sh -c "[ \$(wc -l <'$WORK/err') -eq 1 ] && grep -q \"cache directory '/var/cache/tresor\" '$WORK/err'"
	check "... and telling about --cache-dir and TRESOR_CACHE_DIR" \
	    sh -c "grep -q -- '--cache-dir DIR' '$WORK/err' && grep -q TRESOR_CACHE_DIR '$WORK/err'"
else
	diag "skipped the default cache directory check: /var/cache is writable"
fi

done_testing
