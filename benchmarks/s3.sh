#!/bin/sh
# s3.sh: upload and download MiB/s of one object (1 GiB by default)
# through tresor's s3 driver to radosgw on loopback (a single-node Ceph
# cluster, tests/transport/ceph.sh), next to curl --aws-sigv4 moving the
# same bytes to the same bucket:
#
#   multipart   tresor: 8 MiB parts, 4 at once; curl: the same parts,
#               CreateMultipartUpload, 4 curl processes at a time uploading
#               the parts (xargs -P 4), CompleteMultipartUpload
#   single PUT  tresor: --s3-part-size above the object's size (one PUT,
#               the object gathered first, as S3 wants its length: parts
#               above 64 MiB in a spool file in $TMPDIR); curl: curl -T of
#               the file. Both send x-amz-content-sha256: UNSIGNED-PAYLOAD.
#   download    tresor: one GET streamed; curl: one GET to a file
#
# Target: tresor at least 80% of curl. Each cell is the median of $TRIES
# runs (5), tresor's and curl's in turn so both meet the same load.
#
#   sh benchmarks/s3.sh [MiB]       (root; after make, and
#                                    make tests/helpers/transport-copy)
#
# Prints a Markdown table; a run's results are kept in
# benchmarks/results/s3.md.
set -eu
cd "$(dirname "$0")/.."
MIB=${1:-1024}
TRIES=${TRIES:-5}
PART_MIB=8
PARALLEL=4
COPY=$PWD/tests/helpers/transport-copy
CEPH_SH=$PWD/tests/transport/ceph.sh
[ -x "$COPY" ] || make --no-print-directory tests/helpers/transport-copy >/dev/null

WORK=$(mktemp -d "${TMPDIR:-/tmp}/tresor-bench-s3.XXXXXX")
trap 'sh "$CEPH_SH" stop "$WORK/ceph"; rm -rf "$WORK"' EXIT
trap 'exit 1' INT TERM
sh "$CEPH_SH" start "$WORK/ceph" >"$WORK/ceph.env"
. "$WORK/ceph.env"
sh "$CEPH_SH" mkbucket "$WORK/ceph" bench
B="$S3_ENDPOINT/bench"
H="x-amz-content-sha256: UNSIGNED-PAYLOAD"

head -c $((MIB * 1024 * 1024)) /dev/urandom >"$WORK/object"
sum=$(sha256sum <"$WORK/object" | cut -d' ' -f1)
mkdir "$WORK/parts"
(cd "$WORK/parts" && split -b ${PART_MIB}M -d -a 5 "$WORK/object" p)

timed() {
	prev=$1
	shift
	s=$(date +%s.%N)
	"$@" >&2 || { echo "benchmark: $* failed" >&2; exit 1; }
	e=$(date +%s.%N)
	echo "$s $e" | awk -v prev="$prev" '{ printf "%s%.3f", (prev == "" ? "" : prev " "), $2 - $1 }'
}
median() {
	echo "$@" | tr ' ' '\n' | sort -g | awk '{ t[NR] = $1 }
	    END { if (NR % 2) print t[(NR + 1) / 2]; else print (t[NR / 2] + t[NR / 2 + 1]) / 2 }'
}
rate() { echo "$MIB $1" | awk '{ printf "%.0f", $1 / $2 }'; }
check_download() {
	[ "$(sha256sum <"$1" | cut -d' ' -f1)" = "$sum" ] ||
	    { echo "benchmark: $1 differs from what was uploaded" >&2; exit 1; }
	rm -f "$1"
}
curlc() { curl -sS --fail -K "$S3_CURL_CONFIG" -H "$H" "$@"; }
# The last run's objects removed and their space freed (memstore), untimed.
forget() {
	curlc -X DELETE "$B/t/object" -o /dev/null
	curlc -X DELETE "$B/cli-object" -o /dev/null
	sh "$CEPH_SH" gc "$WORK/ceph"
}

tresor_put() { S3_PART_MIB=$1 S3_PARALLEL=$PARALLEL "$COPY" put s3://bench/t object <"$WORK/object"; }
tresor_get() { "$COPY" get s3://bench/t object >"$WORK/down"; }
curl_single() { curlc -T "$WORK/object" "$B/cli-object" -o /dev/null; }
curl_get() { curlc "$B/cli-object" -o "$WORK/down"; }
# curl's multipart upload: the parts of $WORK/parts, $PARALLEL at a time.
curl_multipart() {
	id=$(curlc -X POST "$B/cli-object?uploads=" | sed -n 's/.*<UploadId>\([^<]*\)<.*/\1/p')
	rm -rf "$WORK/etags"
	mkdir "$WORK/etags"
	export B H S3_CURL_CONFIG WORK
	ls "$WORK/parts" | xargs -P $PARALLEL -I{} sh -c '
	    f={}; n=$(( $(echo "$f" | sed "s/^p0*//;s/^$/0/") + 1 ))
	    curl -sS --fail -K "$S3_CURL_CONFIG" -H "$H" -T "$WORK/parts/$f" \
	        -D "$WORK/etags/$n" -o /dev/null "$B/cli-object?partNumber=$n&uploadId='"$id"'"'
	{
		echo "<CompleteMultipartUpload>"
		for f in $(ls "$WORK/etags" | sort -n); do
			e=$(tr -d '\r' <"$WORK/etags/$f" | sed -n 's/^[Ee][Tt][Aa][Gg]: *//p')
			echo "<Part><PartNumber>$f</PartNumber><ETag>$e</ETag></Part>"
		done
		echo "</CompleteMultipartUpload>"
	} >"$WORK/complete.xml"
	curlc -X POST --data-binary @"$WORK/complete.xml" "$B/cli-object?uploadId=$id" -o "$WORK/complete.out"
	! grep -q "<Error>" "$WORK/complete.out"
}

echo "| upload | tresor up MiB/s | curl up MiB/s | up ratio | tresor down MiB/s | curl down MiB/s | down ratio |"
echo "|---|---|---|---|---|---|---|"
for mode in multipart single; do
	case $mode in
	multipart) part=$PART_MIB cput=curl_multipart ;;
	single) part=$((MIB + 1)) cput=curl_single ;;
	esac
	tu="" td="" cu="" cd=""
	n=0
	while [ $n -lt "$TRIES" ]; do
		forget
		tu=$(timed "$tu" tresor_put $part)
		cu=$(timed "$cu" $cput)
		td=$(timed "$td" tresor_get)
		check_download "$WORK/down"
		cd=$(timed "$cd" curl_get)
		check_download "$WORK/down"
		n=$((n + 1))
	done
	forget
	echo "$mode $(rate "$(median $tu)") $(rate "$(median $cu)") $(rate "$(median $td)") $(rate "$(median $cd)")" | awk '{
		printf "| %s | %d | %d | %.0f%% | %d | %d | %.0f%% |\n", $1, $2, $3, 100 * $2 / $3, $4, $5, 100 * $4 / $5
	}'
done
echo
echo "$MIB MiB of random bytes, radosgw (Ceph $(ceph-osd --version | awk '{print $3}'), memstore OSD) on loopback, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%Y-%m-%d); multipart: $PART_MIB MiB parts, $PARALLEL at once; median of $TRIES runs each, tresor and curl in turn; sha256 of downloads checked."
