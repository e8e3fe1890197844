#!/bin/sh
# ceph.sh: a throwaway single-node Ceph cluster with the RADOS Gateway (S3)
# on 127.0.0.1, for the S3 tests and benchmarks. Plain processes from the
# Debian packages (ceph-mon, ceph-osd, radosgw), everything under DIR, no
# systemd, stopped by PID.
#
#   ceph.sh start DIR   starts one mon, one memstore OSD and radosgw (http
#                       and https, a self-signed certificate for 127.0.0.1
#                       and localhost), makes an S3 user, and prints shell
#                       lines to eval:
#                         S3_ENDPOINT (http://127.0.0.1:PORT)
#                         S3_TLS_ENDPOINT (https://localhost:PORT)
#                         S3_VHOST_ENDPOINT (http://localhost:PORT: rgw's
#                           dns name, so bucket.localhost is virtual-hosted)
#                         S3_CA_FILE, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY
#                         S3_CURL_CONFIG (a curl -K file with the keys, mode
#                           600: the yardstick's, never argv)
#                         CEPH_DIR
#   ceph.sh mkbucket DIR NAME [lock]
#                       creates a bucket (with object lock enabled if asked)
#   ceph.sh gc DIR      frees deleted objects' space now (radosgw-admin gc)
#   ceph.sh stop DIR    stops the processes by their PIDs (DIR/pids)
#
# Known to work on a 2-core machine: memstore instead of a disk, pool size 1
# with chooseleaf type 0 (one host), auth none inside the cluster (the rgw
# section needs its own auth lines), msgr v2 only, a short paxos propose
# interval (ready in about 3 s instead of 14) and no ceph-mgr (radosgw does
# not need it). A missing binary or a cluster that does not come up exits
# non-zero naming what: the callers fail, never skip.
set -u

die() {
	echo "ceph.sh: $*" >&2
	[ "${STARTING:-}" = 1 ] && stop_all
	exit 1
}

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_http PORT PID SCHEME: until rgw answers (60 s at most).
wait_http() {
	i=0
	while [ $i -lt ${WAIT:-600} ]; do
		kill -0 "$2" 2>/dev/null || return 1
		if curl -s -k -o /dev/null "$3://127.0.0.1:$1/" 2>/dev/null; then
			return 0
		fi
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

stop_all() {
	# rgw, osd, mon: in reverse order of starting.
	for p in $(tac "$D/pids" 2>/dev/null); do
		kill "$p" 2>/dev/null
	done
	for p in $(cat "$D/pids" 2>/dev/null); do
		i=0
		while kill -0 "$p" 2>/dev/null && [ $i -lt 100 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		kill -9 "$p" 2>/dev/null
	done
	rm -f "$D/pids"
}

start() {
	STARTING=1
	for b in ceph-mon ceph-osd radosgw radosgw-admin monmaptool ceph openssl curl; do
		command -v "$b" >/dev/null 2>&1 ||
		    die "$b is missing: install ceph-mon ceph-osd radosgw openssl curl (sh scripts/setup.sh check does)"
	done
	mkdir -p "$D/mon" "$D/osd/ceph-0" "$D/run" "$D/log" "$D/rgw" || die "mkdir $D"
	: >"$D/pids"
	fsid=$(cat /proc/sys/kernel/random/uuid)
	# Three different ports: chosen while all three are held.
	set -- $(python3 -c 'import socket
s = [socket.socket() for i in range(3)]
for x in s: x.bind(("127.0.0.1", 0))
print(" ".join(str(x.getsockname()[1]) for x in s))')
	mon_port=$1 rgw_port=$2 rgws_port=$3
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost \
	    -addext "subjectAltName=DNS:localhost,DNS:*.localhost,IP:127.0.0.1" \
	    -keyout "$D/key.pem" -out "$D/cert.pem" 2>/dev/null || die "openssl"
	cat >"$D/ceph.conf" <<EOF
[global]
fsid = $fsid
mon host = [v2:127.0.0.1:$mon_port]
mon initial members = a
ms bind msgr1 = false
ms bind msgr2 = true
public addr = 127.0.0.1
auth cluster required = none
auth service required = none
auth client required = none
auth supported = none
run dir = $D/run
admin socket = $D/run/\$name.asok
log file = $D/log/\$name.log
pid file =
mon data = $D/mon/\$cluster-\$id
osd data = $D/osd/\$cluster-\$id
osd objectstore = memstore
memstore device bytes = 6442450944
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd crush chooseleaf type = 0
mon allow pool size one = true
mon warn on pool no redundancy = false
mon allow pool delete = true
paxos propose interval = 0.05
mon osd full ratio = 0.97
osd max object size = 134217728
[client.rgw.a]
auth cluster required = none
auth service required = none
auth client required = none
auth supported = none
ms mon client mode = crc
ms client mode = crc
rgw frontends = beast endpoint=127.0.0.1:$rgw_port ssl_endpoint=127.0.0.1:$rgws_port ssl_certificate=$D/cert.pem ssl_private_key=$D/key.pem
rgw data = $D/rgw
rgw dns name = localhost
rgw thread pool size = 64
# Deleted objects' data is freed by rgw's garbage collector, by default
# two hours later: memstore would fill up first.
rgw gc obj min wait = 0
rgw gc processor period = 10
EOF
	C="-c $D/ceph.conf"
	monmaptool --create --addv a "[v2:127.0.0.1:$mon_port]" --fsid "$fsid" \
	    "$D/monmap" >/dev/null 2>&1 || die "monmaptool failed"
	ceph-mon $C -i a --mkfs --monmap "$D/monmap" >"$D/log/mkfs.log" 2>&1 ||
	    die "ceph-mon --mkfs failed: $(tail -3 "$D/log/mkfs.log")"
	ceph-mon $C -i a -f >"$D/log/mon.out" 2>&1 &
	mon_pid=$!
	echo $mon_pid >>"$D/pids"
	osd_uuid=$(cat /proc/sys/kernel/random/uuid)
	# A loaded machine may take a while: 120 s.
	id=$(timeout 120 ceph $C osd new "$osd_uuid" 2>"$D/log/osdnew.log") ||
	    die "the monitor did not come up on port $mon_port ($(kill -0 $mon_pid \
	    2>/dev/null && echo running || echo exited)): $(tail -3 \
	    "$D/log/osdnew.log" "$D/log/mon.out" "$D/log/mon.a.log" 2>/dev/null |
	    tr '\n' ' ')"
	[ "$id" = 0 ] || die "ceph osd new gave '$id'"
	ceph-osd $C -i 0 --mkfs --osd-uuid "$osd_uuid" >"$D/log/osdmkfs.log" 2>&1 ||
	    die "ceph-osd --mkfs failed: $(tail -3 "$D/log/osdmkfs.log")"
	ceph-osd $C -i 0 -f >"$D/log/osd.out" 2>&1 &
	echo $! >>"$D/pids"
	radosgw $C -n client.rgw.a -f >"$D/log/rgw.out" 2>&1 &
	rgw_pid=$!
	echo $rgw_pid >>"$D/pids"
	wait_http "$rgw_port" "$rgw_pid" http ||
	    die "radosgw did not come up on port $rgw_port: $(tail -5 "$D/log/client.rgw.a.log" 2>/dev/null)"
	access=$(head -c 15 /dev/urandom | base64 | tr -d '/+=' | tr a-z A-Z)
	secret=$(head -c 30 /dev/urandom | base64 | tr -d '/+=')
	# The keys go to radosgw-admin through a file-free path: its argv is
	# this throwaway cluster's only (a test user, not a secret to keep).
	radosgw-admin $C user create --uid=tresor --display-name=tresor \
	    --access-key="$access" --secret="$secret" >"$D/log/user.out" 2>&1 ||
	    die "radosgw-admin user create failed: $(tail -3 "$D/log/user.out")"
	umask 077
	printf 'user = "%s:%s"\naws-sigv4 = "aws:amz:us-east-1:s3"\n' \
	    "$access" "$secret" >"$D/curl.conf"
	cat >"$D/env" <<EOF
S3_ENDPOINT=http://127.0.0.1:$rgw_port
S3_TLS_ENDPOINT=https://localhost:$rgws_port
S3_VHOST_ENDPOINT=http://localhost:$rgw_port
S3_CA_FILE=$D/cert.pem
S3_CURL_CONFIG=$D/curl.conf
AWS_ACCESS_KEY_ID=$access
AWS_SECRET_ACCESS_KEY=$secret
CEPH_DIR=$D
export S3_ENDPOINT S3_TLS_ENDPOINT S3_VHOST_ENDPOINT S3_CA_FILE S3_CURL_CONFIG AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY CEPH_DIR
EOF
	cat "$D/env"
}

# mkbucket NAME [lock]
mkbucket() {
	. "$D/env"
	hdr=""
	[ "${2:-}" = lock ] && hdr="x-amz-bucket-object-lock-enabled: true"
	# rgw wants the payload's hash header (curl signs it as given).
	code=$(curl -s -o "$D/log/mkbucket.out" -w '%{http_code}' -K "$S3_CURL_CONFIG" \
	    -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" \
	    ${hdr:+-H "$hdr"} -X PUT "$S3_ENDPOINT/$1") || die "curl failed"
	[ "$code" = 200 ] || die "creating bucket $1: HTTP $code $(cat "$D/log/mkbucket.out")"
}

[ $# -ge 2 ] || { echo "usage: ceph.sh start|stop|mkbucket DIR [NAME [lock]]" >&2; exit 2; }
D=$2
case $1 in
start) start ;;
stop) stop_all ;;
mkbucket) mkbucket "$3" "${4:-}" ;;
gc) timeout 300 radosgw-admin -c "$D/ceph.conf" gc process --include-all >/dev/null 2>&1 || die "radosgw-admin gc process failed" ;;
*) echo "ceph.sh: unknown command $1" >&2; exit 2 ;;
esac
