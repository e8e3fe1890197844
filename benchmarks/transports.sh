#!/bin/sh
# transports.sh: upload and download MiB/s of one 500 MiB object through
# tresor's sftp, scp, ftp, ftps, webdav, webdavs and smb drivers on
# loopback, next to the CLI tools moving the same bytes to the same servers
# (OpenSSH scp over SFTP, scp -O over the scp protocol, curl for ftp, ftps,
# webdav and webdavs, smbclient for smb). Target: tresor at least 80% of
# the CLI tool.
#
#   sh benchmarks/transports.sh [MiB]     (root; after `make check` or
#                                          `make tests/helpers/transport-copy`)
#
# Servers: the test servers (tests/transport/servers.sh), started in a
# temp dir and stopped on exit. Prints a Markdown table; the results of a
# run are kept in benchmarks/results/transports.md.
set -eu
cd "$(dirname "$0")/.."
TOP_SRCDIR=$PWD
MIB=${1:-500}
COPY=$PWD/tests/helpers/transport-copy
[ -x "$COPY" ] || make --no-print-directory tests/helpers/transport-copy >/dev/null
. "$TOP_SRCDIR/tests/transport/servers.sh"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/tresor-bench.XXXXXX")
chmod 755 "$WORK"
RUN_ID=tresor-bench-$$
trap 'stop_servers; rm -rf "$WORK" "${TEST_HOME:-/nonexistent}/$RUN_ID"' EXIT
start_servers "$WORK" tresor-bench "sshd vsftpd apache smbd"
PASSWORD=$(cat "$TEST_PASSWORD_FILE")
# curl reads the password from a netrc file, never from its argv.
printf 'machine 127.0.0.1 login %s password %s\n' "$TEST_USER" "$PASSWORD" >"$WORK/netrc"
chmod 600 "$WORK/netrc"
# smbclient's credentials likewise from a file.
printf 'username = %s\npassword = %s\ndomain = TRESORTEST\n' "$TEST_USER" "$PASSWORD" >"$WORK/smbauth"
chmod 600 "$WORK/smbauth"
FTP_PASSWORD=$PASSWORD
export FTP_PASSWORD
SSH="-P $SSH_PORT -i $SSH_KEY -o UserKnownHostsFile=$KNOWN_HOSTS -o BatchMode=yes -q"
mkdir -p "$TEST_HOME/$RUN_ID"
chown "$TEST_USER" "$TEST_HOME/$RUN_ID"

head -c $((MIB * 1024 * 1024)) /dev/urandom >"$WORK/object"
sum=$(sha256sum <"$WORK/object" | cut -d' ' -f1)

# timed PREVIOUS COMMAND...: run a command (which must succeed) and print
# PREVIOUS with its wall time appended. Each cell is the median of $TRIES
# runs, tresor's and the CLI's taken in turn, so both meet the same load:
# on these VMs a single run can be 2x off (new page cache is dear), and
# the best of a few runs picks exactly those outliers.
TRIES=${TRIES:-5}
timed() {
	prev=$1
	shift
	s=$(date +%s.%N)
	"$@" >&2 || { echo "benchmark: $* failed" >&2; exit 1; }
	e=$(date +%s.%N)
	echo "$s $e" | awk -v prev="$prev" '{ printf "%s%.3f", (prev == "" ? "" : prev " "), $2 - $1 }'
}

# median TIMES...: the middle one (the mean of the two middle ones).
median() {
	echo "$@" | tr ' ' '\n' | sort -g | awk '{ t[NR] = $1 }
	    END { if (NR % 2) print t[(NR + 1) / 2]; else print (t[NR / 2] + t[NR / 2 + 1]) / 2 }'
}

rate() {
	echo "$MIB $1" | awk '{ printf "%.0f", $1 / $2 }'
}

# check_download FILE: the bytes came back intact.
check_download() {
	[ "$(sha256sum <"$1" | cut -d' ' -f1)" = "$sum" ] ||
	    { echo "benchmark: $1 differs from what was uploaded" >&2; exit 1; }
	rm -f "$1"
}

# Objects are write-once: the last run's copies (tresor's and the CLI's)
# are removed from the servers' directory before each timed upload, so
# neither side's timing holds a removal (a 500 MiB unlink, or for tresor a
# connection and login of its own).
forget_uploads() { rm -f "$TEST_HOME/$RUN_ID/$1/object" "$TEST_HOME/$RUN_ID/cli-$1"; }
tresor_put() { "$COPY" put "$1" object <"$WORK/object"; }
tresor_get() { "$COPY" get "$1" object >"$WORK/down"; }
scp_put() { scp $SSH $1 "$WORK/object" "$TEST_USER@127.0.0.1:$2"; }
scp_get() { scp $SSH $1 "$TEST_USER@127.0.0.1:$2" "$WORK/down"; }
curl_put() { curl -sS --netrc-file "$WORK/netrc" $1 -o /dev/null -T "$WORK/object" "$2"; }
curl_get() { curl -sS --netrc-file "$WORK/netrc" $1 -o "$WORK/down" "$2"; }
# smbclient with the test server's smb.conf (SMB2+) and the share's path.
SMBC="smbclient -s $SMB_CONF -p $SMB_PORT -A $WORK/smbauth //127.0.0.1/tresor"
smb_put() { $SMBC -c "put $WORK/object $2" >/dev/null; }
smb_get() { $SMBC -c "get $2 $WORK/down" >/dev/null; }

echo "| transport | tresor up MiB/s | CLI up MiB/s | up ratio | tresor down MiB/s | CLI down MiB/s | down ratio | CLI |"
echo "|---|---|---|---|---|---|---|---|"
for tr in ${TRANSPORTS:-sftp scp ftp ftps webdav webdavs smb}; do
	case $tr in
	sftp|scp) url="$tr://$TEST_USER@127.0.0.1:$SSH_PORT/$RUN_ID/$tr" ;;
	webdav) url="webdav://$TEST_USER@127.0.0.1:$DAV_PORT/$RUN_ID/$tr" ;;
	webdavs) url="webdavs://$TEST_USER@127.0.0.1:$DAVS_PORT/$RUN_ID/$tr" ;;
	smb) url="smb://$TEST_USER@127.0.0.1:$SMB_PORT/tresor/$RUN_ID/$tr" ;;
	*) url="$tr://$TEST_USER@127.0.0.1:$FTP_PORT/$RUN_ID/$tr" ;;
	esac
	case $tr in
	sftp) cli="scp (SFTP protocol)" put="scp_put" get="scp_get" opt="" ;;
	scp) cli="scp -O (scp protocol)" put="scp_put" get="scp_get" opt="-O" ;;
	ftp) cli="curl" put="curl_put" get="curl_get" opt="" ;;
	ftps) cli="curl --ssl-reqd" put="curl_put" get="curl_get" opt="--ssl-reqd --cacert $CA_FILE" ;;
	webdav) cli="curl" put="curl_put" get="curl_get" opt="" ;;
	webdavs) cli="curl (https)" put="curl_put" get="curl_get" opt="--cacert $CA_FILE" ;;
	smb) cli="smbclient" put="smb_put" get="smb_get" opt="" ;;
	esac
	case $tr in
	sftp|scp|smb) where="$RUN_ID/cli-$tr" ;;
	webdav) where="http://127.0.0.1:$DAV_PORT/$RUN_ID/cli-$tr" ;;
	webdavs) where="https://127.0.0.1:$DAVS_PORT/$RUN_ID/cli-$tr" ;;
	*) where="ftp://127.0.0.1:$FTP_PORT/$RUN_ID/cli-$tr" ;;
	esac
	tu="" td="" cu="" cd=""
	n=0
	while [ $n -lt "$TRIES" ]; do
		forget_uploads "$tr"
		tu=$(timed "$tu" tresor_put "$url")
		cu=$(timed "$cu" $put "$opt" "$where")
		td=$(timed "$td" tresor_get "$url")
		check_download "$WORK/down"
		cd=$(timed "$cd" $get "$opt" "$where")
		check_download "$WORK/down"
		n=$((n + 1))
	done
	rm -rf "${TEST_HOME:?}/$RUN_ID/$tr" "${TEST_HOME:?}/$RUN_ID/cli-$tr"
	echo "$tr $(rate "$(median $tu)") $(rate "$(median $cu)") $(rate "$(median $td)") $(rate "$(median $cd)") $cli" | awk '{
		cli = $6; for (i = 7; i <= NF; i++) cli = cli " " $i
		printf "| %s | %d | %d | %.0f%% | %d | %d | %.0f%% | %s |\n", $1, $2, $3, 100 * $2 / $3, $4, $5, 100 * $4 / $5, cli
	}'
done
echo
echo "$MIB MiB of random bytes, loopback, $(nproc) cores, $(date -u +%Y-%m-%d); median of $TRIES runs each, tresor and CLI in turn; sha256 of downloads checked."
