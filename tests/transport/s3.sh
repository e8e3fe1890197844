#!/bin/sh
# s3.sh: starts a single-node Ceph cluster with radosgw (ceph.sh) and a
# fault-injecting proxy in front of it (s3proxy.py), makes the buckets and
# runs the s3 driver's tests (test-transport-s3.c); its TAP is this test's.
# A missing Ceph or a cluster that does not come up is a failure.
set -u
WORK=$(mktemp -d /tmp/tresor-s3.XXXXXX)
CEPH_SH="$TOP_SRCDIR/tests/transport/ceph.sh"
PROXY_PID=""
cleanup() {
	[ -n "$PROXY_PID" ] && kill "$PROXY_PID" 2>/dev/null
	sh "$CEPH_SH" stop "$WORK/ceph"
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

if ! sh "$CEPH_SH" start "$WORK/ceph" >"$WORK/ceph.env" 2>"$WORK/ceph.err"; then
	echo "Bail out! the Ceph cluster did not start: $(cat "$WORK/ceph.err")"
	exit 1
fi
. "$WORK/ceph.env"
RUN_ID=run$$
S3_BUCKET=tresor-test
S3_LOCK_BUCKET=tresor-lock
S3_EMPTY_BUCKET=tresor-top
for b in "$S3_BUCKET" "$S3_EMPTY_BUCKET"; do
	sh "$CEPH_SH" mkbucket "$WORK/ceph" "$b" 2>"$WORK/mkbucket.err" ||
	    { echo "Bail out! $(cat "$WORK/mkbucket.err")"; exit 1; }
done
sh "$CEPH_SH" mkbucket "$WORK/ceph" "$S3_LOCK_BUCKET" lock 2>"$WORK/mkbucket.err" ||
    { echo "Bail out! $(cat "$WORK/mkbucket.err")"; exit 1; }

PROXY_CONTROL="$WORK/faults"
: >"$PROXY_CONTROL"
python3 "$TOP_SRCDIR/tests/transport/s3proxy.py" "${S3_ENDPOINT##*:}" \
    "$PROXY_CONTROL" "$WORK/proxy.port" &
PROXY_PID=$!
i=0
while [ ! -s "$WORK/proxy.port" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
[ -s "$WORK/proxy.port" ] || { echo "Bail out! s3proxy.py did not start"; exit 1; }
PROXY_ENDPOINT="http://127.0.0.1:$(cat "$WORK/proxy.port")"
export RUN_ID S3_BUCKET S3_LOCK_BUCKET S3_EMPTY_BUCKET PROXY_CONTROL PROXY_ENDPOINT

"$TESTS_BUILDDIR/transport/test-transport-s3"
