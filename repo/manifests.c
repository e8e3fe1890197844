/* manifests.c: manifests stored and fetched (see manifests.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/error.h"
#include "common/xmalloc.h"
#include "format/filter/filter.h"
#include "format/names.h"
#include "repo/manifests.h"
#include "repo/object.h"
#include "transports/transport.h"

int
manifest_publish(struct manifest_writer *mw, struct transport *t,
    struct crypto *c, int level, const struct manifest_header *h,
    const struct volume_info *vols, size_t nvols,
    const struct volume_info *sigs, const char *plain_copy,
    uint64_t *stored_size, uint8_t *stored_digest, char **cause)
{
	struct object_writer	*ow = NULL;
	struct sink		*s;
	FILE			*copy = NULL;
	char			*copy_tmp = NULL;
	char			*name = names_manifest(h->set_id);
	uint8_t			 digest[HASH_LEN];
	uint64_t		 size;
	int			 rc = -1;

	if (plain_copy != NULL) {
		copy_tmp = xasprintf("%s.tmp", plain_copy);
		if ((copy = fopen(copy_tmp, "we")) == NULL) {
			error_sys(cause, "unable to write '%s'", copy_tmp);
			goto out;
		}
	}
	if ((ow = object_writer_new(t, c, name, level, cause)) == NULL)
		goto out;
	s = object_writer_sink(ow);
	if (manifest_writer_write(mw, s, copy, h, vols, nvols, sigs,
	    cause) != 0)
		goto out;
	if (object_writer_finish(ow, &size, digest, cause) != 0)
		goto out;
	if (stored_size != NULL)
		*stored_size = size;
	if (stored_digest != NULL)
		memcpy(stored_digest, digest, HASH_LEN);
	if (copy != NULL) {
		if (fflush(copy) != 0 || fsync(fileno(copy)) != 0 ||
		    rename(copy_tmp, plain_copy) != 0) {
			error_sys(cause, "unable to write '%s'", plain_copy);
			goto out;
		}
	}
	rc = 0;
out:
	if (copy != NULL)
		fclose(copy);
	if (copy_tmp != NULL) {
		unlink(copy_tmp);
		free(copy_tmp);
	}
	object_writer_free(ow);
	free(name);
	return rc;
}

int
manifest_read(struct transport *t, struct crypto *c, const char *set_id,
    const struct manifest_visitor *v, void *arg,
    struct manifest_summary *summary, char **cause)
{
	return manifest_read_expect(t, c, set_id, NULL, NULL, v, arg, summary,
	    cause);
}

int
manifest_read_expect(struct transport *t, struct crypto *c,
    const char *set_id, const uint64_t *size, const uint8_t *digest,
    const struct manifest_visitor *v, void *arg,
    struct manifest_summary *summary, char **cause)
{
	struct manifest_reader	*mr = manifest_reader_new(v, arg);
	struct sink		*chain;
	char			*name = names_manifest(set_id);
	char			*what = xasprintf("manifest '%s'", name);
	int			 rc = -1;

	chain = zstd_decompress_sink_new(what, manifest_reader_sink(mr));
	if (object_read(t, c, name, size, digest, chain, cause) != 0) {
		if (cause != NULL && *cause != NULL &&
		    strstr(*cause, name) == NULL)
			error_prefix(cause, "%s in %s", what,
			    transport_display(t));
		goto out;
	}
	rc = manifest_reader_check(mr, what, transport_display(t), set_id,
	    summary, cause);
out:
	sink_free(chain);
	manifest_reader_free(mr);
	free(name);
	free(what);
	return rc;
}

int
manifest_fetch(struct transport *t, struct crypto *c, const char *set_id,
    const char *path, char **cause)
{
	char	*name = names_manifest(set_id);
	int	 rc;

	rc = object_fetch(t, c, name, NULL, NULL, path, cause);
	free(name);
	return rc;
}
