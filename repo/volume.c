/*
 * volume.c: writing volumes (see volume.h).
 *
 * Closing a volume means draining its chain (zstd, gpg), publishing it and
 * reading it back. Where the transport allows it, a finisher thread does
 * that while the next volume is already being filled, so the pipeline
 * never stops at a volume boundary. At most one volume is finishing at a
 * time, and volumes are recorded in order.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/interrupt.h"
#include "common/testpoint.h"
#include "common/xmalloc.h"
#include "catalog.h"
#include "object.h"
#include "transports/transport.h"
#include "format/record.h"
#include "volume.h"
#include "format/names.h"

struct volume_writer {
	struct transport	*transport;
	struct crypto		*crypto;
	char			*set_id;
	uint64_t		 target;
	int			 level;
	struct object_writer	*current;
	char			*current_name;
	uint32_t		 number;	/* of the open or last volume */
	uint64_t		 offset;	/* plaintext offset in it */
	uint64_t		 records;
	struct volume_info	*volumes;
	size_t			 nvolumes;
	struct recbuf		 rb;
	/* The volume being finished in the background, if any. */
	struct volume_finish {
		pthread_t		 thread;
		int			 running;
		struct object_writer	*writer;
		char			*name;
		uint32_t		 number;
		uint64_t		 size;
		uint8_t			 digest[HASH_LEN];
		int			 rc;
		char			*cause;
	}			 fin;
};

struct volume_writer *
volume_writer_new(struct transport *t, struct crypto *c, const char *set_id,
    uint64_t target, int level)
{
	struct volume_writer	*vw = xcalloc(1, sizeof *vw);

	vw->transport = t;
	vw->crypto = c;
	vw->set_id = xstrdup(set_id);
	vw->target = target;
	vw->level = level;
	return vw;
}

static int
volume_writer_emit(struct volume_writer *vw, uint8_t type, const void *p,
    size_t len, char **cause)
{
	uint8_t	header[RECORD_HEADER_LEN];
	int	i;

	header[0] = type;
	for (i = 0; i < 4; i++)
		header[1 + i] = (uint8_t)((uint32_t)len >> (8 * i));
	if (sink_write(object_writer_sink(vw->current), header, sizeof header,
	    cause) != 0 || (len > 0 && sink_write(object_writer_sink(
	    vw->current), p, len, cause) != 0))
		return -1;
	vw->offset += RECORD_HEADER_LEN + len;
	vw->records++;
	return 0;
}

static int
volume_writer_open(struct volume_writer *vw, char **cause)
{
	uint8_t		preamble[VOLUME_PREAMBLE_LEN];
	struct recbuf	rb = { NULL, 0, 0 };
	int		rc = -1;

	vw->number++;
	vw->current_name = names_volume(vw->set_id, vw->number);
	vw->current = object_writer_new(vw->transport, vw->crypto,
	    vw->current_name, vw->level, cause);
	if (vw->current == NULL)
		goto out;
	memcpy(preamble, VOLUME_MAGIC, VOLUME_MAGIC_LEN);
	preamble[8] = FORMAT_VERSION & 0xff;
	preamble[9] = FORMAT_VERSION >> 8;
	if (sink_write(object_writer_sink(vw->current), preamble,
	    sizeof preamble, cause) != 0)
		goto out;
	vw->offset = VOLUME_PREAMBLE_LEN;
	vw->records = 0;
	record_encode_volume_info(&rb, vw->set_id, vw->number);
	rc = volume_writer_emit(vw, RECORD_VOLUME_INFO, rb.data, rb.len, cause);
out:
	/* A volume that could not be started is not open: no name kept. */
	if (rc != 0 && vw->current == NULL) {
		free(vw->current_name);
		vw->current_name = NULL;
	}
	recbuf_free(&rb);
	return rc;
}

int
volume_writer_record(struct volume_writer *vw, uint8_t type, const void *p,
    size_t len, char **cause)
{
	/* Every record of a set passes here: the place to notice a signal. */
	if (interrupt_check(cause) != 0)
		return -1;
	if (vw->current == NULL && volume_writer_open(vw, cause) != 0)
		return -1;
	return volume_writer_emit(vw, type, p, len, cause);
}

int
volume_writer_position(struct volume_writer *vw, uint32_t *number,
    uint64_t *offset, char **cause)
{
	if (vw->current == NULL && volume_writer_open(vw, cause) != 0)
		return -1;
	*number = vw->number;
	*offset = vw->offset;
	return 0;
}

int
volume_writer_full(struct volume_writer *vw)
{
	return vw->current != NULL &&
	    object_writer_bytes(vw->current) >= vw->target;
}

static void *
volume_finish_main(void *arg)
{
	struct volume_finish	*f = arg;

	(void)pthread_setname_np(pthread_self(), "volume-finish");
	f->rc = object_writer_finish(f->writer, &f->size, f->digest,
	    &f->cause);
	return NULL;
}

/* Wait for the volume being finished; record it if it succeeded. */
int
volume_writer_sync(struct volume_writer *vw, char **cause)
{
	struct volume_finish	*f = &vw->fin;
	struct volume_info	*vi;
	int			 rc = 0;

	if (f->writer == NULL)
		return 0;
	if (f->running) {
		pthread_join(f->thread, NULL);
		f->running = 0;
	}
	if (f->rc != 0) {
		rc = error_set(cause, "%s", f->cause != NULL ? f->cause :
		    "unable to finish a volume");
	} else {
		vw->volumes = xrealloc(vw->volumes, (vw->nvolumes + 1) *
		    sizeof *vw->volumes);
		vi = &vw->volumes[vw->nvolumes++];
		vi->number = f->number;
		vi->name = f->name;
		f->name = NULL;
		vi->size = f->size;
		memcpy(vi->sha256, f->digest, HASH_LEN);
		testpoint("volume-published");
	}
	object_writer_free(f->writer);
	f->writer = NULL;
	free(f->name);
	f->name = NULL;
	free(f->cause);
	f->cause = NULL;
	return rc;
}

int
volume_writer_close(struct volume_writer *vw, char **cause)
{
	struct volume_finish	*f = &vw->fin;
	int			 rc = -1;

	if (vw->current == NULL)
		return 0;
	recbuf_reset(&vw->rb);
	recbuf_u64(&vw->rb, vw->records);
	if (volume_writer_emit(vw, RECORD_VOLUME_END, vw->rb.data, vw->rb.len,
	    cause) != 0 || volume_writer_sync(vw, cause) != 0)
		goto out;
	f->writer = vw->current;
	f->name = vw->current_name;
	f->number = vw->number;
	f->rc = -1;
	vw->current = NULL;
	vw->current_name = NULL;
	if (transport_concurrent(vw->transport) && pthread_create(&f->thread,
	    NULL, volume_finish_main, f) == 0) {
		f->running = 1;
		return 0;
	}
	volume_finish_main(f);
	rc = volume_writer_sync(vw, cause);
out:
	object_writer_free(vw->current);
	vw->current = NULL;
	free(vw->current_name);
	vw->current_name = NULL;
	return rc;
}

const struct volume_info *
volume_writer_volumes(struct volume_writer *vw, size_t *count)
{
	*count = vw->nvolumes;
	return vw->volumes;
}

void
volume_writer_free(struct volume_writer *vw)
{
	size_t	i;

	if (vw == NULL)
		return;
	volume_writer_sync(vw, NULL);
	object_writer_free(vw->current);
	free(vw->current_name);
	for (i = 0; i < vw->nvolumes; i++)
		volume_info_clear(&vw->volumes[i]);
	free(vw->volumes);
	free(vw->set_id);
	recbuf_free(&vw->rb);
	free(vw);
}
