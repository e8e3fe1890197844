/*
 * s3cred.c: S3 credentials (see s3cred.h). The secret is wiped from
 * memory when cleared.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/error.h"
#include "common/xmalloc.h"
#include "s3cred.h"

/* Blanks off both ends, in place. */
static char *
s3cred_trim(char *s)
{
	char	*end;

	while (*s == ' ' || *s == '\t')
		s++;
	end = s + strlen(s);
	while (end > s && strchr(" \t\r\n", end[-1]) != NULL)
		*--end = '\0';
	return s;
}

static void
s3cred_set(char **slot, const char *value)
{
	if (*slot != NULL) {
		explicit_bzero(*slot, strlen(*slot));
		free(*slot);
	}
	*slot = xstrdup(value);
}

/* Read profile's keys from an open file: 0 if both keys were found. */
static int
s3cred_read(struct s3cred *c, FILE *f, const char *profile)
{
	char	*line = NULL, *p, *eq, *key;
	size_t	 cap = 0;
	int	 in = 0;

	while (getline(&line, &cap, f) != -1) {
		p = s3cred_trim(line);
		if (*p == '#' || *p == ';' || *p == '\0')
			continue;
		if (*p == '[') {
			p[strcspn(p, "]")] = '\0';
			in = strcmp(s3cred_trim(p + 1), profile) == 0;
			continue;
		}
		if (!in || (eq = strchr(p, '=')) == NULL)
			continue;
		*eq = '\0';
		key = s3cred_trim(p);
		if (strcmp(key, "aws_access_key_id") == 0)
			s3cred_set(&c->access_key, s3cred_trim(eq + 1));
		else if (strcmp(key, "aws_secret_access_key") == 0)
			s3cred_set(&c->secret_key, s3cred_trim(eq + 1));
		else if (strcmp(key, "aws_session_token") == 0)
			s3cred_set(&c->session_token, s3cred_trim(eq + 1));
	}
	if (line != NULL)
		explicit_bzero(line, cap);
	free(line);
	return c->access_key != NULL && c->secret_key != NULL ? 0 : -1;
}

int
s3cred_load(struct s3cred *c, const char *file, char **cause)
{
	const char	*env, *profile, *home;
	char		*path = NULL;
	struct stat	 st;
	FILE		*f = NULL;
	int		 rc = -1;

	memset(c, 0, sizeof *c);
	profile = getenv("AWS_PROFILE");
	if (profile == NULL || *profile == '\0')
		profile = "default";
	if (file == NULL && (env = getenv("AWS_ACCESS_KEY_ID")) != NULL &&
	    *env != '\0') {
		if (getenv("AWS_SECRET_ACCESS_KEY") == NULL) {
			error_set(cause, "AWS_ACCESS_KEY_ID is set but "
			    "AWS_SECRET_ACCESS_KEY is not");
			goto out;
		}
		s3cred_set(&c->access_key, env);
		s3cred_set(&c->secret_key, getenv("AWS_SECRET_ACCESS_KEY"));
		if ((env = getenv("AWS_SESSION_TOKEN")) != NULL && *env != '\0')
			s3cred_set(&c->session_token, env);
		c->source = xstrdup("the environment");
		rc = 0;
		goto out;
	}
	if (file != NULL)
		path = xstrdup(file);
	else if ((env = getenv("AWS_SHARED_CREDENTIALS_FILE")) != NULL &&
	    *env != '\0')
		path = xstrdup(env);
	else if ((home = getenv("HOME")) != NULL)
		path = xasprintf("%s/.aws/credentials", home);
	else {
		error_set(cause, "no S3 credentials: set AWS_ACCESS_KEY_ID and "
		    "AWS_SECRET_ACCESS_KEY or give a credentials file");
		goto out;
	}
	if ((f = fopen(path, "r")) == NULL) {
		if (file == NULL && errno == ENOENT)
			error_set(cause, "no S3 credentials: AWS_ACCESS_KEY_ID "
			    "is not set and there is no %s", path);
		else
			error_set(cause, "cannot read S3 credentials file "
			    "'%s': %s", path, strerror(errno));
		goto out;
	}
	/* A file named by the configuration holds a secret: ours alone. */
	if (file != NULL && fstat(fileno(f), &st) == 0 &&
	    (st.st_mode & 077) != 0) {
		error_set(cause, "S3 credentials file '%s' is readable by "
		    "others (mode %03o): chmod 600 it", path,
		    (unsigned)(st.st_mode & 0777));
		goto out;
	}
	if (s3cred_read(c, f, profile) != 0) {
		error_set(cause, "S3 credentials file '%s' has no "
		    "aws_access_key_id and aws_secret_access_key in profile "
		    "[%s]", path, profile);
		goto out;
	}
	c->source = xasprintf("'%s' [%s]", path, profile);
	rc = 0;
out:
	if (f != NULL)
		fclose(f);
	free(path);
	if (rc != 0)
		s3cred_clear(c);
	return rc;
}

void
s3cred_clear(struct s3cred *c)
{
	if (c->secret_key != NULL)
		explicit_bzero(c->secret_key, strlen(c->secret_key));
	if (c->session_token != NULL)
		explicit_bzero(c->session_token, strlen(c->session_token));
	free(c->access_key);
	free(c->secret_key);
	free(c->session_token);
	free(c->source);
	memset(c, 0, sizeof *c);
}
