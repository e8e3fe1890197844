/*
 * netcheck.h: checks the network drivers' tests share (test-transport-net.c
 * for sftp and ftp, test-transport-net2.c for webdav and smb), each a few
 * TAP lines against a real server.
 */
#ifndef TRESOR_TEST_NETCHECK_H
#define TRESOR_TEST_NETCHECK_H

struct transport_options;

/* The test user's password: no message may hold it. */
extern const char	*password;

/* An environment variable that must be set (else Bail out!). */
const char	*env(const char *);
/* The first line of a file (else Bail out!), allocated. */
char		*read_line(const char *);
double		 now(void);
/*
 * Open url and expect a failure whose message holds want and 127.0.0.1
 * (and never the password), within max_seconds: the elapsed time.
 */
double	expect_open_failure(const char *what, const char *url,
	    const struct transport_options *, const char *want,
	    double max_seconds);
/* A permanent failure is not retried: its message counts no tries. */
void	expect_no_retry(const char *what, const char *url,
	    const struct transport_options *);
/* Put must fail at once with want and "tresor-denied" in the message. */
void	expect_put_failure(const char *what, const char *url,
	    const struct transport_options *, const char *want);
/* Open url: it must connect. */
void	check_connects(const char *what, const char *url,
	    const struct transport_options *);
/* The directory at path was made: what says which. */
void	check_dir_made(const char *path, const char *what);
/*
 * scheme://user@127.0.0.1:$DEAD_PORT/path, where nobody listens: the open
 * is tried 3 times, with pauses, then fails ("[scheme] a refused ...").
 */
void	check_refused(const char *scheme, const char *user, const char *path,
	    const struct transport_options *);
/* The same at $SILENT_PORT, a server that never answers: the idle timeout
   of 1 s, 2 tries ("[scheme] a silent server times out"). */
void	check_silent(const char *scheme, const char *user, const char *path,
	    const struct transport_options *);
/*
 * A wrong password (o's) fails at once, with "authentication failed", and
 * is not retried ("<tag> a wrong password ...").
 */
void	check_wrong_password(const char *tag, const char *url,
	    const struct transport_options *o);
/* Kill a server's descendants (its connections): how many. */
int	cut_connections(long server);
/* A listing beside 255-byte names (made in dir, the target's directory). */
void	check_long_names(const char *tag, const char *url,
	    const struct transport_options *, const char *dir);
/* An upload cut midway (the processes of the server whose PID is in the
   environment variable `server` killed) resumes into an identical object. */
void	check_resume(const char *url, const struct transport_options *,
	    const char *server);
/* ... or fails cleanly, leaving no object and no temporary. */
void	check_cut(const char *url, const struct transport_options *,
	    const char *server);

#endif
