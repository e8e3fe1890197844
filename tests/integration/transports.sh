#!/bin/sh
# transports.sh: the tresor command over sftp:// and ftps:// against real
# servers (tests/transport/servers.sh): backup, status, verify, restore and
# cleanup round trips; the transport options; one-line errors naming host
# and path for a wrong password, an unknown host key, an unverified
# certificate and a dead port; and the password in no message, no output
# and no process's argv.
. "$TOP_SRCDIR/tests/integration/lib.sh"
. "$TOP_SRCDIR/tests/transport/servers.sh"

start_cli_servers cli tresor-test2
SSH_OPTS="--ssh-key $SSH_KEY --ssh-known-hosts $KNOWN_HOSTS"

make_key k
mkdir -p "$WORK/src"
make_tree "$WORK/src/vault"
head -c 3000000 /dev/urandom >"$WORK/src/vault/big.bin"

# sftp://, key login, a nested directory that does not exist yet.
S="sftp://$TEST_USER@127.0.0.1:$SSH_PORT/$RUN_ID/sftp/target"
check "backup to sftp://" "$TRESOR" backup --quiet --to "$S" $SSH_OPTS \
    --key-file "$WORK/k.pub.asc" --volsize 1 "$WORK/src/vault"
check "the nested target directory was made" test -d "$TEST_HOME/$RUN_ID/sftp/target"
check "status over sftp:// lists the set" sh -c \
    "'$TRESOR' status --from '$S' $SSH_OPTS | grep -q full"
check "verify over sftp://" "$TRESOR" verify --quiet --from "$S" $SSH_OPTS \
    --key-file "$WORK/k.sec.asc"
# verify --read-data over sftp: the transport options reach every set's
# read, through one connection and one key import for the whole run.
printf 'second night\n' >"$WORK/src/vault/new.txt"
sleep 1		# set ids have one-second resolution: one backup a second
"$TRESOR" backup --quiet --to "$S" $SSH_OPTS --key-file "$WORK/k.pub.asc" \
    --volsize 1 "$WORK/src/vault" || bail "second sftp backup failed"
strace -f -qq -e trace=connect,execve -o "$WORK/verify.trace" "$TRESOR" verify --read-data \
    --from "$S" $SSH_OPTS --key-file "$WORK/k.sec.asc" >"$WORK/verify.out" 2>"$WORK/verify.err"
check "verify --read-data over sftp:// checks both sets" \
    sh -c "[ \$? -eq 0 ] && [ \$(grep -c 'all hashes match' '$WORK/verify.out') -eq 2 ]"
check "... through one connection to the server" \
    test "$(grep -c "connect(.*htons($SSH_PORT)" "$WORK/verify.trace")" -eq 1
# The secret key once, and the seals' trusted keys once (lib.sh's
# --sign-pubkey and the cache's, together): two, however many sets.
check "... and one key import (and one of the signing keys)" \
    test "$(grep 'execve(' "$WORK/verify.trace" | grep -c -- '--import')" -eq 2
check "restore over sftp://" "$TRESOR" restore --quiet --from "$S" $SSH_OPTS \
    --key-file "$WORK/k.sec.asc" --to "$WORK/out-sftp"
check "the sftp:// restore equals the source" \
    "$TREEDIFF" "$WORK/src/vault" "$WORK/out-sftp/vault"
check "fetch of one file over scp:// (same server)" "$TRESOR" fetch --quiet \
    --from "scp://$TEST_USER@127.0.0.1:$SSH_PORT/$RUN_ID/sftp/target" \
    $SSH_OPTS --key-file "$WORK/k.sec.asc" vault/big.bin "$WORK/big.out"
check "... with the right bytes" cmp "$WORK/src/vault/big.bin" "$WORK/big.out"
check "no temporaries are left on the server" sh -c \
    "! ls -A '$TEST_HOME/$RUN_ID/sftp/target' | grep -q '^\.tmp\.'"

# ftps://, the password in the URL: masked in argv while tresor runs.
F="ftps://$TEST_USER:$PASSWORD@127.0.0.1:$FTP_PORT/$RUN_ID/ftps"
head -c 40000000 /dev/urandom >"$WORK/src/vault/bigger.bin"
"$TRESOR" backup --quiet --to "$F" --ca-file "$CA_FILE" --key-file "$WORK/k.pub.asc" \
    "$WORK/src/vault" 2>"$WORK/ftps.err" &
pid=$!
sample_argv $pid "$WORK/cmdlines"
wait $pid
rc=$?
diag "$(cat "$WORK/ftps.err")"
check "backup to ftps:// with the password in the URL" test $rc -eq 0
check "tresor was seen running (argv sampled)" grep -q "backup .*--quiet --to ftps://$TEST_USER:\*" "$WORK/cmdlines"
check "the password is in no process's argv" no_password "$WORK/cmdlines"
check "status over ftps://, password from \$FTP_PASSWORD" sh -c \
    "FTP_PASSWORD='$PASSWORD' '$TRESOR' status --from 'ftps://$TEST_USER@127.0.0.1:$FTP_PORT/$RUN_ID/ftps' --ca-file '$CA_FILE' >'$WORK/status.out' 2>&1 && grep -q full '$WORK/status.out'"
"$TRESOR" status --from "$F" --ca-file "$CA_FILE" >"$WORK/status2.out" 2>&1
check "status output (which names the target) holds no password" \
    no_password "$WORK/status.out" "$WORK/status2.out" "$WORK/ftps.err"
check "restore over ftps://" sh -c \
    "FTP_PASSWORD='$PASSWORD' '$TRESOR' restore --quiet --from 'ftps://$TEST_USER@127.0.0.1:$FTP_PORT/$RUN_ID/ftps' --ca-file '$CA_FILE' --key-file '$WORK/k.sec.asc' --to '$WORK/out-ftps'"
check "the ftps:// restore equals the source" \
    "$TREEDIFF" "$WORK/src/vault" "$WORK/out-ftps/vault"
check "cleanup over ftps:// finds nothing to remove" sh -c \
    "FTP_PASSWORD='$PASSWORD' '$TRESOR' cleanup --from 'ftps://$TEST_USER@127.0.0.1:$FTP_PORT/$RUN_ID/ftps' --ca-file '$CA_FILE' --force >/dev/null"

# No child inherits a connection: gpg, started for every volume while the
# FTP control connection is open, sees no socket (libcurl makes its
# sockets without close-on-exec; tresor sets it).
mkdir -p "$WORK/wrap"
cat >"$WORK/wrap/gpg" <<EOF
#!/bin/sh
ls -l /proc/\$\$/fd >>"$WORK/gpg-fds" 2>/dev/null
exec "$(command -v gpg)" "\$@"
EOF
chmod 755 "$WORK/wrap/gpg"
: >"$WORK/gpg-fds"
PATH="$WORK/wrap:$PATH" FTP_PASSWORD="$PASSWORD" "$TRESOR" backup --quiet --volsize 1 --full \
    --to "ftp://$TEST_USER@127.0.0.1:$FTP_PORT/$RUN_ID/ftp-fds" --key-file "$WORK/k.pub.asc" \
    "$WORK/src/vault" 2>"$WORK/err"
check "a backup over ftp:// with gpg wrapped" test $? -eq 0
check "... ran gpg for several volumes" test "$(grep -c '^total' "$WORK/gpg-fds")" -ge 3
check "... none of which inherited a socket" sh -c "! grep socket: '$WORK/gpg-fds'"

# Failures: one line naming host and path, no password, non-zero exit.
expect_fail "$WORK/err" env FTP_PASSWORD=wrong-password-123 "$TRESOR" status \
    --from "ftps://$TEST_USER@127.0.0.1:$FTP_PORT/$RUN_ID/ftps" --ca-file "$CA_FILE"
diag "$(cat "$WORK/err")"
check "wrong ftp password: one line" one_line_error "$WORK/err"
check "wrong ftp password: names host and path" grep -q "127.0.0.1:$FTP_PORT/$RUN_ID/ftps" "$WORK/err"
check "wrong ftp password: says so, without the password" sh -c \
    "grep -q 'authentication failed' '$WORK/err' && ! grep -q wrong-password-123 '$WORK/err'"

expect_fail "$WORK/err" "$TRESOR" status --from "ftps://$TEST_USER:$PASSWORD@127.0.0.1:$FTP_PORT/$RUN_ID/ftps"
diag "$(cat "$WORK/err")"
check "ftps without the private CA: refused, one line" sh -c \
    "[ \$(wc -l <'$WORK/err') -eq 1 ] && grep -q 'certificate' '$WORK/err'"
check "... without the password" no_password "$WORK/err"
check "--insecure-tls: accepted when asked" "$TRESOR" status --insecure-tls \
    --from "ftps://$TEST_USER:$PASSWORD@127.0.0.1:$FTP_PORT/$RUN_ID/ftps"

: >"$WORK/empty_known_hosts"
expect_fail "$WORK/err" "$TRESOR" status --from "$S" --ssh-key "$SSH_KEY" \
    --ssh-known-hosts "$WORK/empty_known_hosts"
diag "$(cat "$WORK/err")"
fp=$(ssh-keygen -lf "$WORK/servers/host_key.pub" | cut -d' ' -f2)
check "unknown host key: one line" one_line_error "$WORK/err"
check "unknown host key: prints the fingerprint and names the target" sh -c \
    "grep -qF '$fp' '$WORK/err' && grep -q '127.0.0.1:$SSH_PORT/$RUN_ID' '$WORK/err'"

expect_fail "$WORK/err" env FTP_PASSWORD=wrong-password-123 "$TRESOR" status \
    --from "$S" --ssh-key "$WORK/no-such-key" --ssh-known-hosts "$KNOWN_HOSTS"
check "a missing --ssh-key file: one line naming it" sh -c \
    "[ \$(wc -l <'$WORK/err') -eq 1 ] && grep -q no-such-key '$WORK/err'"

dead=$(free_port)
start=$(date +%s)
expect_fail "$WORK/err" "$TRESOR" backup --to "sftp://$TEST_USER@127.0.0.1:$dead/x" \
    $SSH_OPTS --retries 2 --connect-timeout 2 --key-file "$WORK/k.pub.asc" "$WORK/src/vault"
diag "$(cat "$WORK/err")"
check "nothing listening: one line after 2 tries" sh -c \
    "[ \$(wc -l <'$WORK/err') -eq 1 ] && grep -q 'gave up after 2 tries' '$WORK/err' && grep -q '127.0.0.1:$dead/x' '$WORK/err'"
# The number of tries is checked by the message above. Two tries against a
# refused port take one 0.25 s pause and a process start: 30 s is generous
# under make -j2 and a sanitizer build, and still catches a run that hangs
# (a connect without its timeout, a retry loop without end).
check "... within a bounded time" test $(($(date +%s) - start)) -le 30

expect_fail "$WORK/err" "$TRESOR" status --from "$S" --retries 0
check "--retries 0 is a usage error" sh -c "grep -q -- '--retries' '$WORK/err'"
for verb in backup restore verify status purge cleanup fetch restore-db; do
	check "$verb --help documents the transport options" sh -c \
	    "'$TRESOR' $verb --help | grep -q -- '--ssh-known-hosts' && '$TRESOR' $verb --help | grep -q -- '--ca-file'"
done

done_testing
