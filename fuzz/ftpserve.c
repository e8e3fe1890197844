/*
 * ftpserve.c: see ftpserve.h. Just enough of RFC 959 for a libcurl client
 * to log in, change directory and LIST in passive mode (EPSV or PASV);
 * every other command is refused. One thread per control connection, so
 * a client that opens a second one does not wait on the first.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ftpserve.h"

static pthread_mutex_t	 lock = PTHREAD_MUTEX_INITIALIZER;
static const uint8_t	*listing;
static size_t		 listing_len;
static int		 control_fd = -1;
static int		 control_port;

void
ftpserve_listing(const uint8_t *p, size_t len)
{
	pthread_mutex_lock(&lock);
	listing = p;
	listing_len = len;
	pthread_mutex_unlock(&lock);
}

static int
listen_any(int *port)
{
	struct sockaddr_in	sin;
	socklen_t		len = sizeof sin;
	int			fd;

	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sin, sizeof sin) != 0 ||
	    listen(fd, 16) != 0 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) != 0) {
		close(fd);
		return -1;
	}
	*port = ntohs(sin.sin_port);
	return fd;
}

static void
reply(int fd, const char *text)
{
	(void)send(fd, text, strlen(text), MSG_NOSIGNAL);
}

/* Send the listing on the data connection the client makes to dfd. */
static void
send_listing(int fd, int dfd)
{
	struct pollfd	pfd = { dfd, POLLIN, 0 };
	const uint8_t	*p;
	size_t		 left;
	ssize_t		 n;
	int		 conn;

	if (dfd == -1) {
		reply(fd, "425 use EPSV or PASV first\r\n");
		return;
	}
	reply(fd, "150 here it comes\r\n");
	if (poll(&pfd, 1, 5000) != 1 ||
	    (conn = accept4(dfd, NULL, NULL, SOCK_CLOEXEC)) == -1) {
		reply(fd, "425 no data connection\r\n");
		return;
	}
	pthread_mutex_lock(&lock);
	p = listing;
	left = listing_len;
	while (left > 0 && (n = send(conn, p, left, MSG_NOSIGNAL)) > 0) {
		p += n;
		left -= (size_t)n;
	}
	pthread_mutex_unlock(&lock);
	close(conn);
	reply(fd, "226 done\r\n");
}

static void *
session(void *arg)
{
	int	 fd = (int)(intptr_t)arg, dfd = -1, dport;
	char	 line[1024], out[128];
	size_t	 have = 0;
	ssize_t	 n;
	char	*nl;

	reply(fd, "220 tresor fuzz\r\n");
	for (;;) {
		nl = memchr(line, '\n', have);
		if (nl == NULL) {
			if (have == sizeof line)
				break;
			n = recv(fd, line + have, sizeof line - have, 0);
			if (n <= 0)
				break;
			have += (size_t)n;
			continue;
		}
		*nl = '\0';
		if (nl > line && nl[-1] == '\r')
			nl[-1] = '\0';
		if (strncasecmp(line, "USER", 4) == 0)
			reply(fd, "331 password please\r\n");
		else if (strncasecmp(line, "PASS", 4) == 0)
			reply(fd, "230 logged in\r\n");
		else if (strncasecmp(line, "PWD", 3) == 0)
			reply(fd, "257 \"/\" is the directory\r\n");
		else if (strncasecmp(line, "CWD", 3) == 0)
			reply(fd, "250 changed\r\n");
		else if (strncasecmp(line, "TYPE", 4) == 0)
			reply(fd, "200 type set\r\n");
		else if (strncasecmp(line, "EPSV", 4) == 0 ||
		    strncasecmp(line, "PASV", 4) == 0) {
			if (dfd != -1)
				close(dfd);
			if ((dfd = listen_any(&dport)) == -1)
				reply(fd, "425 no listener\r\n");
			else if (line[0] == 'E' || line[0] == 'e') {
				snprintf(out, sizeof out, "229 Entering Extended "
				    "Passive Mode (|||%d|)\r\n", dport);
				reply(fd, out);
			} else {
				snprintf(out, sizeof out, "227 Entering Passive "
				    "Mode (127,0,0,1,%d,%d)\r\n", dport >> 8,
				    dport & 255);
				reply(fd, out);
			}
		} else if (strncasecmp(line, "LIST", 4) == 0 ||
		    strncasecmp(line, "NLST", 4) == 0) {
			send_listing(fd, dfd);
			close(dfd);
			dfd = -1;
		} else if (strncasecmp(line, "QUIT", 4) == 0) {
			reply(fd, "221 bye\r\n");
			break;
		} else
			reply(fd, "502 not here\r\n");
		have -= (size_t)(nl + 1 - line);
		memmove(line, nl + 1, have);
	}
	if (dfd != -1)
		close(dfd);
	close(fd);
	return NULL;
}

static void *
acceptor(void *arg)
{
	pthread_t	t;
	int		fd, one = 1;

	(void)arg;
	for (;;) {
		if ((fd = accept4(control_fd, NULL, NULL, SOCK_CLOEXEC)) == -1)
			continue;
		/* Replies are small writes: no Nagle wait on each one. */
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
		    sizeof one);
		if (pthread_create(&t, NULL, session, (void *)(intptr_t)fd) != 0)
			abort();
		pthread_detach(t);
	}
	return NULL;
}

int
ftpserve_start(void)
{
	pthread_t	t;

	if (control_fd != -1)
		return control_port;
	if ((control_fd = listen_any(&control_port)) == -1) {
		perror("ftpserve: listen on 127.0.0.1");
		abort();
	}
	if (pthread_create(&t, NULL, acceptor, NULL) != 0)
		abort();
	pthread_detach(t);
	return control_port;
}
