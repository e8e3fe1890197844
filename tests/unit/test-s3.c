/*
 * test-s3.c: the s3 driver's parts that need no server: S3's XML answers
 * (s3xml.c: the error code of an <Error>, leaves with their parents, text
 * that is not XML) and the credentials (s3cred.c: a file given wins over
 * the environment, profiles, a file others may read refused, a key
 * without its secret refused; no message holds a secret).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/xmalloc.h"
#include "tests/tap.h"
#include "transports/s3cred.h"
#include "transports/s3xml.h"

#define SECRET	"s3cr3t/Key+with=chars"

struct leaves {
	char	text[1024];
};

static void
collect(void *arg, const char *parent, const char *name, const char *text)
{
	struct leaves	*l = arg;
	size_t		 len = strlen(l->text);

	snprintf(l->text + len, sizeof l->text - len, "%s/%s=%s;", parent,
	    name, text);
}

static void
test_xml(void)
{
	const char	*err = "<?xml version=\"1.0\"?><Error><Code>NoSuchBucket"
			    "</Code><BucketName>b</BucketName></Error>";
	const char	*list = "<ListBucketResult xmlns=\"http://s3.amazonaws."
			    "com/doc/2006-03-01/\"><IsTruncated>true</IsTruncated>"
			    "<Contents><Key>p/a</Key><Size>5</Size><Owner><ID>x"
			    "</ID></Owner></Contents><NextContinuationToken>t+1"
			    "</NextContinuationToken></ListBucketResult>";
	struct leaves	 l;
	char		*code, root[64];

	code = s3xml_error_code(err, strlen(err));
	tap_ok(code != NULL && strcmp(code, "NoSuchBucket") == 0,
	    "an <Error>'s code: %s", code != NULL ? code : "(none)");
	free(code);
	code = s3xml_error_code(list, strlen(list));
	tap_ok(code == NULL, "a listing is no error");
	code = s3xml_error_code("Bad Gateway", 11);
	tap_ok(code == NULL, "text that is not XML is no error");
	free(code);
	tap_ok(s3xml_error_code("", 0) == NULL, "nor is an empty body");
	memset(&l, 0, sizeof l);
	tap_ok(s3xml_parse(list, strlen(list), collect, &l, root,
	    sizeof root) == 0 && strcmp(root, "ListBucketResult") == 0,
	    "a listing parses, its root named (namespace dropped)");
	tap_ok(strcmp(l.text, "ListBucketResult/IsTruncated=true;Contents/Key="
	    "p/a;Contents/Size=5;Owner/ID=x;ListBucketResult/"
	    "NextContinuationToken=t+1;") == 0,
	    "each leaf with its parent: %s", l.text);
	tap_ok(s3xml_parse("<a><b>", 6, collect, &l, root, sizeof root) != 0,
	    "a cut answer is refused");
}

static char *
write_file(const char *dir, const char *name, const char *text, int mode)
{
	char	*path = xasprintf("%s/%s", dir, name);
	FILE	*f = fopen(path, "w");

	if (f != NULL) {
		fputs(text, f);
		fclose(f);
	}
	chmod(path, (mode_t)mode);
	return path;
}

static void
test_credentials(const char *dir)
{
	struct s3cred	 c;
	char		*cause = NULL, *file, *open_file, *home;
	int		 rc;

	file = write_file(dir, "creds", "# comment\n[default]\n"
	    "aws_access_key_id = AKDEFAULT\naws_secret_access_key = "
	    SECRET "\n\n[backup]\naws_access_key_id=AKBACKUP\n"
	    "aws_secret_access_key=" SECRET "2\naws_session_token = TOK\n",
	    0600);
	open_file = write_file(dir, "open", "[default]\naws_access_key_id = A\n"
	    "aws_secret_access_key = " SECRET "\n", 0644);

	setenv("AWS_ACCESS_KEY_ID", "AKENV", 1);
	setenv("AWS_SECRET_ACCESS_KEY", SECRET "env", 1);
	unsetenv("AWS_PROFILE");
	rc = s3cred_load(&c, NULL, &cause);
	tap_ok(rc == 0 && strcmp(c.access_key, "AKENV") == 0 &&
	    c.session_token == NULL, "the environment's keys");
	s3cred_clear(&c);
	rc = s3cred_load(&c, file, &cause);
	tap_ok(rc == 0 && strcmp(c.access_key, "AKDEFAULT") == 0 &&
	    strcmp(c.secret_key, SECRET) == 0,
	    "a file given wins over the environment ([default])");
	s3cred_clear(&c);
	setenv("AWS_PROFILE", "backup", 1);
	rc = s3cred_load(&c, file, &cause);
	tap_ok(rc == 0 && strcmp(c.access_key, "AKBACKUP") == 0 &&
	    strcmp(c.secret_key, SECRET "2") == 0 && c.session_token != NULL &&
	    strcmp(c.session_token, "TOK") == 0,
	    "$AWS_PROFILE picks the section, with its session token");
	s3cred_clear(&c);
	setenv("AWS_PROFILE", "none-such", 1);
	rc = s3cred_load(&c, file, &cause);
	tap_ok(rc == -1 && cause != NULL && strstr(cause, "[none-such]") !=
	    NULL && strstr(cause, SECRET) == NULL,
	    "a missing profile is named: %s", cause ? cause : "(loaded)");
	free(cause);
	cause = NULL;
	unsetenv("AWS_PROFILE");
	rc = s3cred_load(&c, open_file, &cause);
	tap_ok(rc == -1 && cause != NULL && strstr(cause, "chmod 600") !=
	    NULL && strstr(cause, SECRET) == NULL,
	    "a file others may read is refused: %s", cause ? cause : "(loaded)");
	free(cause);
	cause = NULL;
	unsetenv("AWS_SECRET_ACCESS_KEY");
	rc = s3cred_load(&c, NULL, &cause);
	tap_ok(rc == -1 && cause != NULL && strstr(cause,
	    "AWS_SECRET_ACCESS_KEY") != NULL,
	    "a key without its secret is refused: %s", cause ? cause : "");
	free(cause);
	cause = NULL;
	unsetenv("AWS_ACCESS_KEY_ID");
	home = xasprintf("%s/home", dir);
	mkdir(home, 0700);
	setenv("HOME", home, 1);
	unsetenv("AWS_SHARED_CREDENTIALS_FILE");
	rc = s3cred_load(&c, NULL, &cause);
	tap_ok(rc == -1 && cause != NULL && strstr(cause, ".aws/credentials") !=
	    NULL, "no keys anywhere: says where it looked: %s",
	    cause ? cause : "");
	free(cause);
	cause = NULL;
	setenv("AWS_SHARED_CREDENTIALS_FILE", file, 1);
	rc = s3cred_load(&c, NULL, &cause);
	tap_ok(rc == 0 && strcmp(c.access_key, "AKDEFAULT") == 0,
	    "$AWS_SHARED_CREDENTIALS_FILE");
	s3cred_clear(&c);
	unlink(file);
	unlink(open_file);
	rmdir(home);
	free(home);
	free(file);
	free(open_file);
}

int
main(void)
{
	char	dir[] = "/tmp/tresor-test-s3.XXXXXX";

	if (mkdtemp(dir) == NULL) {
		printf("Bail out! mkdtemp\n");
		return 1;
	}
	test_xml();
	test_credentials(dir);
	rmdir(dir);
	return tap_done();
}
