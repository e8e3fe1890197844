#!/bin/sh
# s3.sh: the tresor command over s3:// against a real single-node Ceph
# cluster (radosgw, started by tests/transport/ceph.sh): a full backup whose
# volumes are multipart uploads, an incremental, status, verify
# --read-data, restore, fetch, purge of the older chain and cleanup; a
# backup killed (SIGKILL) in the middle of a multipart put, whose upload
# cleanup then lists and aborts; object lock (purge keeps locked sets and
# says so); credentials from a credentials file and profile; and failures
# (wrong secret, missing bucket) in one line naming endpoint and bucket,
# the secret in no output and no argv. A missing Ceph is a failure.
. "$TOP_SRCDIR/tests/integration/lib.sh"
. "$TOP_SRCDIR/tests/transport/servers.sh"

CEPH_SH="$TOP_SRCDIR/tests/transport/ceph.sh"
trap 'sh "$CEPH_SH" stop "$WORK/ceph"; cleanup_work' EXIT
trap 'exit 1' INT TERM
sh "$CEPH_SH" start "$WORK/ceph" >"$WORK/ceph.env" 2>"$WORK/ceph.err" ||
    bail "the Ceph cluster did not start: $(cat "$WORK/ceph.err")"
. "$WORK/ceph.env"
PASSWORD=$AWS_SECRET_ACCESS_KEY
sh "$CEPH_SH" mkbucket "$WORK/ceph" tresor-int 2>"$WORK/err" || bail "$(cat "$WORK/err")"
sh "$CEPH_SH" mkbucket "$WORK/ceph" tresor-lock lock 2>"$WORK/err" || bail "$(cat "$WORK/err")"

# Every verb: the endpoint; volumes of 12 MiB in 5 MiB parts, 2 at once.
S3="--s3-endpoint $S3_ENDPOINT --s3-part-size 5 --s3-parallel 2"
URL=s3://tresor-int/host-a/vault

make_key k
mkdir -p "$WORK/src"
make_tree "$WORK/src/vault"
head -c 30000000 /dev/urandom >"$WORK/src/vault/big.bin"

# uploads BUCKET: the multipart uploads in progress (their keys).
uploads() {
	curl -s -K "$S3_CURL_CONFIG" -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" \
	    "$S3_ENDPOINT/$1?uploads=" | tr '<' '\n' | sed -n 's/^Key>//p'
}

check "full backup (volumes of 12 MiB: multipart uploads)" env TRESOR_NOW="$(at 1)" \
    "$TRESOR" backup --quiet --to "$URL" $S3 --key-file "$WORK/k.pub.asc" \
    --volsize 12 "$WORK/src/vault"
printf 'second night\n' >"$WORK/src/vault/new.txt"
check "incremental backup" env TRESOR_NOW="$(at 2)" \
    "$TRESOR" backup --quiet --to "$URL" $S3 --key-file "$WORK/k.pub.asc" \
    --volsize 12 "$WORK/src/vault"
"$TRESOR" status --from "$URL" $S3 >"$WORK/status.out" 2>&1
check "status lists the full and the incremental" sh -c \
    "grep -q full '$WORK/status.out' && grep -q '\\.inc ' '$WORK/status.out'"
check "no upload is left in progress" test -z "$(uploads tresor-int)"
"$TRESOR" verify --read-data --from "$URL" $S3 --key-file "$WORK/k.sec.asc" \
    >"$WORK/verify.out" 2>&1
check "verify --read-data checks both sets" \
    test "$(grep -c 'all hashes match' "$WORK/verify.out")" -eq 2
check "restore" "$TRESOR" restore --quiet --from "$URL" $S3 \
    --key-file "$WORK/k.sec.asc" --to "$WORK/out"
check "the restore equals the source" "$TREEDIFF" "$WORK/src/vault" "$WORK/out/vault"
check "fetch of one file" "$TRESOR" fetch --quiet --from "$URL" $S3 \
    --key-file "$WORK/k.sec.asc" vault/big.bin "$WORK/big.out"
check "... with the right bytes" cmp "$WORK/src/vault/big.bin" "$WORK/big.out"
check "a second chain (full backup, day 40)" env TRESOR_NOW="$(at 40)" \
    "$TRESOR" backup --quiet --full --to "$URL" $S3 --key-file "$WORK/k.pub.asc" \
    --volsize 12 "$WORK/src/vault"
check "purge --older-than 30D on day 80 removes the first chain" \
    env TRESOR_NOW="$(at 80)" "$TRESOR" purge --quiet --from "$URL" $S3 \
    --older-than 30D --force
"$TRESOR" status --from "$URL" $S3 >"$WORK/status.out" 2>&1
check "... leaving one full set and no incremental" sh -c \
    "[ \$(grep -c full '$WORK/status.out') -eq 1 ] && ! grep -q '\\.inc ' '$WORK/status.out'"

# SIGKILL in the middle of a multipart put: the upload stays on the server
# (S3 keeps it until aborted); cleanup lists it as a temporary and aborts it.
head -c 150000000 /dev/urandom >"$WORK/src/vault/bigger.bin"
env TRESOR_NOW="$(at 81)" "$TRESOR" backup --quiet --to "$URL" $S3 \
    --key-file "$WORK/k.pub.asc" --volsize 140 "$WORK/src/vault" 2>/dev/null &
bpid=$!
i=0
while [ $i -lt 600 ] && ! uploads tresor-int | grep -q 'vol'; do
	sleep 0.05
	i=$((i + 1))
done
kill -KILL $bpid
wait $bpid
check "a backup killed during a multipart put leaves its upload" sh -c \
    "uploads() { curl -s -K '$S3_CURL_CONFIG' -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' '$S3_ENDPOINT/tresor-int?uploads=' | grep -c '<UploadId>'; }; [ \$(uploads) -ge 1 ]"
diag "uploads left: $(uploads tresor-int | tr '\n' ' ')"
"$TRESOR" cleanup --from "$URL" $S3 --break-lock >"$WORK/cleanup.out" 2>&1
diag "$(cat "$WORK/cleanup.out")"
check "cleanup (dry run) lists it as a temporary object" \
    grep -q 'would remove temporary object \.tmp\.tresor\..*vol.*\.u' "$WORK/cleanup.out"
check "cleanup --force aborts it" sh -c \
    "'$TRESOR' cleanup --from '$URL' $S3 --break-lock --force >/dev/null"
check "... no upload is left" test -z "$(uploads tresor-int)"
check "the next backup completes" env TRESOR_NOW="$(at 82)" \
    "$TRESOR" backup --quiet --to "$URL" $S3 --key-file "$WORK/k.pub.asc" \
    --volsize 50 "$WORK/src/vault"
check "... and verifies with --read-data" "$TRESOR" verify --quiet --read-data \
    --from "$URL" $S3 --key-file "$WORK/k.sec.asc"
rm -f "$WORK/src/vault/bigger.bin"

# Object lock: each object gets a retention of a day; purge keeps the sets
# and says so (the lock holds whatever tresor's clock says).
L=s3://tresor-lock/host-a
LOCK="$S3 --s3-object-lock-days 1 --s3-object-lock-mode GOVERNANCE"
check "backup with object lock (1 day, GOVERNANCE)" env TRESOR_NOW="$(at 1)" \
    "$TRESOR" backup --quiet --to "$L" $LOCK --key-file "$WORK/k.pub.asc" \
    --volsize 12 "$WORK/src/vault"
check "a second chain under lock" env TRESOR_NOW="$(at 40)" \
    "$TRESOR" backup --quiet --full --to "$L" $LOCK --key-file "$WORK/k.pub.asc" \
    --volsize 12 "$WORK/src/vault"
env TRESOR_NOW="$(at 80)" "$TRESOR" purge --from "$L" $LOCK --older-than 30D \
    --force >"$WORK/purge-lock.out" 2>&1
rc=$?
diag "$(cat "$WORK/purge-lock.out")"
check "purge of a locked set succeeds and says it keeps it" sh -c \
    "[ $rc -eq 0 ] && grep -q 'keeping .*object lock until' '$WORK/purge-lock.out'"
"$TRESOR" status --from "$L" $LOCK >"$WORK/status-lock.out" 2>&1
check "... both sets are still there" \
    test "$(grep -c full "$WORK/status-lock.out")" -eq 2
check "... and verify" "$TRESOR" verify --quiet --from "$L" $LOCK --key-file "$WORK/k.sec.asc"

# Credentials from a file and a profile (no keys in the environment).
umask 077
printf '[other]\naws_access_key_id = X\naws_secret_access_key = Y\n[tresor]\naws_access_key_id = %s\naws_secret_access_key = %s\n' \
    "$AWS_ACCESS_KEY_ID" "$AWS_SECRET_ACCESS_KEY" >"$WORK/credentials"
umask 022
check "credentials from a file and profile (\$AWS_PROFILE)" env -u AWS_ACCESS_KEY_ID \
    -u AWS_SECRET_ACCESS_KEY AWS_PROFILE=tresor "$TRESOR" status --from "$URL" $S3 \
    --s3-credentials "$WORK/credentials"
check "... and from ~/.aws/credentials" sh -c "mkdir -p '$WORK/home/.aws' &&
    cp '$WORK/credentials' '$WORK/home/.aws/credentials' &&
    env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY HOME='$WORK/home' AWS_PROFILE=tresor \
    '$TRESOR' status --from '$URL' $S3 >/dev/null"
chmod 644 "$WORK/credentials"
expect_fail "$WORK/err" env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY \
    "$TRESOR" status --from "$URL" $S3 --s3-credentials "$WORK/credentials"
diag "$(cat "$WORK/err")"
check "a credentials file others may read is refused, one line" sh -c \
    "one_line() { [ \$(wc -l <'$WORK/err') -eq 1 ]; }; one_line && grep -q 'chmod 600' '$WORK/err'"

# The secret in no argv while tresor runs, in no output.
"$TRESOR" backup --quiet --to "$URL" $S3 --volsize 12 --key-file "$WORK/k.pub.asc" \
    "$WORK/src/vault" 2>"$WORK/argv.err" &
pid=$!
sample_argv $pid "$WORK/cmdlines"
wait $pid
rc=$?
[ $rc -eq 0 ] || diag "$(cat "$WORK/argv.err")"
check "backup with the keys in the environment" test $rc -eq 0
check "the secret key is in no process's argv" no_password "$WORK/cmdlines"
check "... nor in any output" no_password "$WORK"/*.out "$WORK/argv.err"

# Failures: at once, one line naming endpoint and bucket.
expect_fail "$WORK/err" env AWS_SECRET_ACCESS_KEY=wrong-secret-123 "$TRESOR" status \
    --from "$URL" $S3
diag "$(cat "$WORK/err")"
check "wrong secret: one line naming endpoint and bucket" sh -c \
    "[ \$(wc -l <'$WORK/err') -eq 1 ] && grep -q '${S3_ENDPOINT#http://}/tresor-int' '$WORK/err' &&
    grep -q SignatureDoesNotMatch '$WORK/err' && ! grep -q wrong-secret-123 '$WORK/err'"
expect_fail "$WORK/err" "$TRESOR" status --from s3://no-such-bucket/x $S3
diag "$(cat "$WORK/err")"
check "a missing bucket: one line, says so" sh -c \
    "[ \$(wc -l <'$WORK/err') -eq 1 ] && grep -q 'no-such-bucket.*no such bucket' '$WORK/err'"
expect_fail "$WORK/err" "$TRESOR" status --from "$URL" --s3-endpoint "$S3_TLS_ENDPOINT"
check "https without the CA file: refused, one line" sh -c \
    "[ \$(wc -l <'$WORK/err') -eq 1 ] && grep -q 'certificate' '$WORK/err'"
check "https with --ca-file (verify)" "$TRESOR" verify --quiet --from "$URL" \
    --s3-endpoint "$S3_TLS_ENDPOINT" --ca-file "$S3_CA_FILE" --key-file "$WORK/k.sec.asc"

# The local cache is keyed by endpoint, bucket and prefix: the same bucket
# through another endpoint never shares its cache.
check "the cache's key names the endpoint" \
    grep -rqx "s3://${S3_ENDPOINT#http://}/tresor-int/host-a/vault" "$TRESOR_CACHE_DIR" --include=url
"$TRESOR" cleanup --quiet --from "$URL" --s3-endpoint "$S3_TLS_ENDPOINT" \
    --ca-file "$S3_CA_FILE" >/dev/null 2>&1
check "another endpoint, another cache" sh -c \
    "grep -rlx 's3://${S3_TLS_ENDPOINT#https://}/tresor-int/host-a/vault' '$TRESOR_CACHE_DIR' --include=url | grep -q ."

done_testing
