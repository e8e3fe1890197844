/*
 * s3cred.h: the S3 credentials, from a credentials file named by the
 * configuration or options, else the environment (AWS_ACCESS_KEY_ID,
 * AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN), else the default credentials
 * file; files in the AWS format ([profile] sections of "key = value"
 * lines), the profile $AWS_PROFILE or "default". Never from argv; never
 * printed.
 */
#ifndef TRESOR_S3CRED_H
#define TRESOR_S3CRED_H

struct s3cred {
	char	*access_key;
	char	*secret_key;
	char	*session_token;	/* NULL if none */
	char	*source;	/* where they came from, for messages */
};

/*
 * file: the credentials file named by the configuration or options (it
 * must not be readable by group or others), or NULL: the environment, then
 * $AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials. 0, or -1 with a
 * cause naming the file and profile (never a key).
 */
int	s3cred_load(struct s3cred *, const char *file, char **cause);
void	s3cred_clear(struct s3cred *);

#endif
