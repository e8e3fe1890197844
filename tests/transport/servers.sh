# servers.sh: real SFTP and FTP/FTPS servers for the transport tests
# (sourced, POSIX sh).
#
#   start_servers DIR USER   OpenSSH sshd and vsftpd on 127.0.0.1, free high
#                            ports, configs, keys and a self-signed
#                            certificate generated into DIR; sets the
#                            variables below
#   stop_servers             stops them by PID (also run from the EXIT trap
#                            of the caller, and by a watchdog if the test
#                            process dies)
#
# A missing server binary or a server that does not come up is a failure
# (Bail out!), never a skip. Root is needed: the test user (local, with a
# fresh random password each run, for password logins) is created with
# useradd/chpasswd, and vsftpd serves local users only as root. Run by a
# normal user, the test is skipped as a whole (TAP "1..0 # SKIP", naming
# why); CI runs as root.
#
# Sets: SSHD_PID VSFTPD_PID SSH_PORT FTP_PORT TEST_USER TEST_PASSWORD_FILE SSH_KEY KNOWN_HOSTS
#       CA_FILE TEST_HOME (the user's login directory)

SSHD=/usr/sbin/sshd
VSFTPD=/usr/sbin/vsftpd
SERVER_PIDS=""

servers_bail() {
	echo "Bail out! $*"
	stop_servers
	exit 1
}

# free_port: a TCP port nothing listens on now.
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_port PORT PID: until something accepts on PORT (10 s at most).
wait_port() {
	i=0
	while [ $i -lt 100 ]; do
		kill -0 "$2" 2>/dev/null || return 1
		if python3 -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1)' "$1" 2>/dev/null; then
			return 0
		fi
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# ensure_user NAME DIR: a local user with a new random password, written to
# DIR/password (mode 600), never to argv.
ensure_user() {
	if ! id "$1" >/dev/null 2>&1; then
		# Two tests may start at once: one creates the user.
		(
			flock 9
			id "$1" >/dev/null 2>&1 ||
			    useradd --create-home --shell /bin/sh "$1" ||
			    exit 1
		) 9>/tmp/tresor-test-useradd.lock || servers_bail "useradd $1 failed"
	fi
	head -c 18 /dev/urandom | base64 | tr -d '/+=' >"$2/password"
	chmod 600 "$2/password"
	printf '%s:%s\n' "$1" "$(cat "$2/password")" | chpasswd ||
	    servers_bail "chpasswd failed"
	TEST_PASSWORD_FILE="$2/password"
	TEST_HOME=$(getent passwd "$1" | cut -d: -f6)
}

start_sshd() {
	d=$1
	[ -x "$SSHD" ] || servers_bail "$SSHD is missing: install openssh-server (sh scripts/setup.sh check does)"
	ssh-keygen -q -t ed25519 -N '' -f "$d/host_key" || servers_bail "ssh-keygen"
	ssh-keygen -q -t ed25519 -N '' -f "$d/id_ed25519" || servers_bail "ssh-keygen"
	cp "$d/id_ed25519.pub" "$d/authorized_keys"
	chmod 644 "$d/authorized_keys"
	SSH_PORT=$(free_port)
	printf '[127.0.0.1]:%s %s\n' "$SSH_PORT" "$(cut -d' ' -f1,2 "$d/host_key.pub")" >"$d/known_hosts"
	cat >"$d/sshd_config" <<EOF
Port $SSH_PORT
ListenAddress 127.0.0.1
HostKey $d/host_key
PidFile none
AuthorizedKeysFile $d/authorized_keys
StrictModes no
PubkeyAuthentication yes
PasswordAuthentication yes
KbdInteractiveAuthentication no
UsePAM no
PermitRootLogin no
AllowUsers $TEST_USER
Subsystem sftp internal-sftp
LogLevel ERROR
EOF
	# The privilege separation directory (made by the service, not here).
	mkdir -p /run/sshd && chmod 755 /run/sshd
	"$SSHD" -D -e -f "$d/sshd_config" 2>"$d/sshd.log" &
	pid=$!
	SSHD_PID=$pid
	SERVER_PIDS="$SERVER_PIDS $pid"
	wait_port "$SSH_PORT" "$pid" || servers_bail "sshd did not start: $(cat "$d/sshd.log")"
	SSH_KEY="$d/id_ed25519"
	KNOWN_HOSTS="$d/known_hosts"
}

start_vsftpd() {
	d=$1
	[ -x "$VSFTPD" ] || servers_bail "$VSFTPD is missing: install vsftpd (sh scripts/setup.sh check does)"
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
	    -addext subjectAltName=IP:127.0.0.1 -keyout "$d/tls.key" \
	    -out "$d/tls.crt" 2>/dev/null || servers_bail "openssl req"
	CA_FILE="$d/tls.crt"
	mkdir -p "$d/empty" && chmod 755 "$d/empty"
	FTP_PORT=$(free_port)
	# One server for ftp:// and ftps:// (TLS offered, not forced).
	cat >"$d/vsftpd.conf" <<EOF
listen=YES
listen_ipv6=NO
listen_address=127.0.0.1
listen_port=$FTP_PORT
background=NO
anonymous_enable=NO
local_enable=YES
write_enable=YES
local_umask=077
force_dot_files=YES
pasv_enable=YES
pasv_address=127.0.0.1
secure_chroot_dir=$d/empty
seccomp_sandbox=NO
pam_service_name=vsftpd
userlist_enable=NO
xferlog_enable=NO
vsftpd_log_file=$d/vsftpd.log
ssl_enable=YES
allow_anon_ssl=NO
force_local_logins_ssl=NO
force_local_data_ssl=NO
require_ssl_reuse=NO
rsa_cert_file=$d/tls.crt
rsa_private_key_file=$d/tls.key
EOF
	"$VSFTPD" "$d/vsftpd.conf" 2>"$d/vsftpd.err" &
	pid=$!
	VSFTPD_PID=$pid
	SERVER_PIDS="$SERVER_PIDS $pid"
	wait_port "$FTP_PORT" "$pid" || servers_bail "vsftpd did not start: $(cat "$d/vsftpd.err")"
}

start_servers() {
	# Everything these tests check goes through the servers, so as a normal
	# user the whole test is skipped, saying why (CI runs as root).
	if [ "$(id -u)" -ne 0 ]; then
		echo "1..0 # SKIP needs root: it creates a local test user (useradd, chpasswd) for password logins, and vsftpd serves local users only as root"
		exit 0
	fi
	TEST_USER=$2
	ensure_user "$TEST_USER" "$1"
	start_sshd "$1"
	start_vsftpd "$1"
	# If the test dies without its trap, take the servers down with it.
	parent=$$
	(
		trap '' HUP
		while kill -0 "$parent" 2>/dev/null; do sleep 1; done
		# shellcheck disable=SC2086
		kill $SERVER_PIDS 2>/dev/null
	) >/dev/null 2>&1 &
	export SSHD_PID VSFTPD_PID SSH_PORT FTP_PORT TEST_USER TEST_PASSWORD_FILE SSH_KEY KNOWN_HOSTS CA_FILE TEST_HOME
}

stop_servers() {
	for pid in $SERVER_PIDS; do
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null || true
	done
	SERVER_PIDS=""
}
