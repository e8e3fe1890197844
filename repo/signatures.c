/* signatures.c: signatures objects stored and fetched (see signatures.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/xmalloc.h"
#include "format/names.h"
#include "repo/manifests.h"
#include "repo/object.h"
#include "repo/signatures.h"
#include "transports/transport.h"

int
sigs_publish(struct transport *t, struct crypto *c, const char *set_id,
    const char *path, int level, struct volume_info *out, char **cause)
{
	struct object_writer	*ow = NULL;
	char			 buf[65536];
	size_t			 n;
	FILE			*f;
	int			 rc = -1;

	memset(out, 0, sizeof *out);
	out->name = names_signatures(set_id);
	if ((f = fopen(path, "re")) == NULL) {
		error_sys(cause, "unable to read '%s'", path);
		goto out;
	}
	if ((ow = object_writer_new(t, c, out->name, level, cause)) == NULL)
		goto out;
	while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
		if (sink_write(object_writer_sink(ow), buf, n, cause) != 0)
			goto out;
	}
	if (ferror(f)) {
		error_sys(cause, "unable to read '%s'", path);
		goto out;
	}
	rc = object_writer_finish(ow, &out->size, out->sha256, cause);
out:
	object_writer_free(ow);
	if (f != NULL)
		fclose(f);
	return rc;
}

/* The signatures line of a manifest, as sigs_fetch needs it. */
struct sigs_expected {
	const char	*name;
	int		 found;
	uint64_t	 size;
	uint8_t		 sha256[HASH_LEN];
};

static int
sigs_expected_line(void *arg, const struct volume_info *vi, char **cause)
{
	struct sigs_expected	*x = arg;

	(void)cause;
	if (strcmp(vi->name, x->name) != 0)
		return 0;
	x->found = 1;
	x->size = vi->size;
	memcpy(x->sha256, vi->sha256, HASH_LEN);
	return 0;
}

int
sigs_fetch(struct transport *t, struct crypto *c, const char *set_id,
    const char *manifest_copy, const char *path, char **cause)
{
	static const struct manifest_visitor visitor = { NULL, NULL, NULL,
	    sigs_expected_line };
	struct sigs_expected	 x;
	char			*name = names_signatures(set_id);
	int			 rc = -1;

	memset(&x, 0, sizeof x);
	x.name = name;
	if (manifest_copy != NULL)
		rc = manifest_read_cached(manifest_copy, set_id, &visitor, &x,
		    NULL, cause);
	else
		rc = manifest_read(t, c, set_id, &visitor, &x, NULL, cause);
	if (rc != 0)
		goto out;
	rc = -1;
	if (!x.found) {
		error_set(cause, "the manifest of set %s in %s lists no "
		    "signatures object '%s'", set_id, transport_display(t),
		    name);
		goto out;
	}
	/* A copy that is not byte for byte what the manifest says is damage. */
	rc = object_fetch(t, c, name, &x.size, x.sha256, path, cause);
out:
	free(name);
	return rc;
}
