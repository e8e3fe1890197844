/*
 * propfind.c: a PROPFIND answer parsed as it streams in (see propfind.h).
 *
 * Only four elements of the DAV: namespace matter, whatever prefix the
 * server gives them: each <response> holds an <href> (the member's path,
 * %-escaped, possibly a whole URL), a <resourcetype> that holds
 * <collection/> for a directory, and a <getcontentlength>. The member's name
 * is the last segment of its href. Text is collected up to 4 KiB an element
 * (longer hrefs cannot name an object). Expat resolves no external entity
 * and bounds entity expansion.
 */
#include <stdlib.h>
#include <string.h>

#include <expat.h>

#include "common/error.h"
#include "common/hex.h"
#include "common/xmalloc.h"
#include "propfind.h"
#include "transport.intern.h"

#define PROPFIND_TEXT	4096

struct propfind {
	XML_Parser		 parser;
	struct name_list	*list;
	int			 which;
	int			 in_response;
	int			 collection;
	int			 capture;	/* 1 href, 2 length, else 0 */
	char			 href[PROPFIND_TEXT];
	size_t			 hreflen;
	char			 length[64];
	size_t			 lengthlen;
	int			 too_long;	/* the href */
	int			 length_too_long;
	char			*error;
};

/* The local name if name is "DAV: local" (XML_ParserCreateNS's form). */
static const char *
propfind_dav(const char *name)
{
	if (strncmp(name, "DAV: ", 5) != 0)
		return NULL;
	return name + 5;
}


/* The last segment of an href, %-decoded in place; NULL if empty. */
static char *
propfind_name(char *href)
{
	char	*p, *q, *name;
	size_t	 len = strlen(href);
	int	 hi, lo;

	while (len > 0 && href[len - 1] == '/')
		href[--len] = '\0';
	if (len == 0)
		return NULL;
	name = strrchr(href, '/');
	name = name != NULL ? name + 1 : href;
	for (p = q = name; *p != '\0'; p++) {
		if (*p == '%' && (hi = hex_digit(p[1])) >= 0 &&
		    (lo = hex_digit(p[2])) >= 0) {
			*q++ = (char)(hi << 4 | lo);
			p += 2;
		} else
			*q++ = *p;
	}
	*q = '\0';
	return *name != '\0' ? name : NULL;
}

static int
propfind_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/*
 * A member's getcontentlength, blanks around it dropped: decimal digits
 * only, at most INT64_MAX (a file's size). strtoull alone took "-17" as
 * 2^64 - 17 and "+5" as 5, and saturated past 2^64 without a word. 0, or
 * -1 if it is not such a size.
 */
static int
propfind_size(const char *text, size_t len, uint64_t *out)
{
	uint64_t	v = 0;
	unsigned	d;

	while (len > 0 && propfind_blank(*text)) {
		text++;
		len--;
	}
	while (len > 0 && propfind_blank(text[len - 1]))
		len--;
	if (len == 0)
		return -1;
	for (; len > 0; text++, len--) {
		if (*text < '0' || *text > '9')
			return -1;
		d = (unsigned)(*text - '0');
		if (v > ((uint64_t)INT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

static void
propfind_member(struct propfind *pf)
{
	char		*name;
	int		 tmp;
	uint64_t	 size;

	pf->href[pf->hreflen] = '\0';
	if (pf->collection || pf->too_long ||
	    (name = propfind_name(pf->href)) == NULL)
		return;
	tmp = transport_name_temporary(name);
	if ((pf->which == PROPFIND_OBJECTS && !transport_name_valid(name)) ||
	    (pf->which == PROPFIND_TEMPORARIES && !tmp))
		return;
	if (pf->lengthlen == 0 || pf->length_too_long ||
	    propfind_size(pf->length, pf->lengthlen, &size) != 0) {
		if (pf->error == NULL)
			pf->error = xasprintf("the server gave %s size for '%s'",
			    pf->lengthlen == 0 && !pf->length_too_long ? "no" :
			    "a malformed", name);
		XML_StopParser(pf->parser, XML_FALSE);
		return;
	}
	name_list_add(pf->list, name, size);
}

static void XMLCALL
propfind_start(void *arg, const XML_Char *el, const XML_Char **attr)
{
	struct propfind	*pf = arg;
	const char	*name = propfind_dav(el);

	(void)attr;
	if (name == NULL)
		return;
	if (strcmp(name, "response") == 0) {
		pf->in_response = 1;
		pf->collection = 0;
		pf->hreflen = pf->lengthlen = 0;
		pf->too_long = pf->length_too_long = 0;
	} else if (!pf->in_response)
		return;
	else if (strcmp(name, "href") == 0)
		pf->capture = 1;
	else if (strcmp(name, "getcontentlength") == 0)
		pf->capture = 2;
	else if (strcmp(name, "collection") == 0)
		pf->collection = 1;
}

static void XMLCALL
propfind_end(void *arg, const XML_Char *el)
{
	struct propfind	*pf = arg;
	const char	*name = propfind_dav(el);

	pf->capture = 0;
	if (name != NULL && strcmp(name, "response") == 0 && pf->in_response) {
		propfind_member(pf);
		pf->in_response = 0;
	}
}

static void XMLCALL
propfind_text(void *arg, const XML_Char *s, int len)
{
	struct propfind	*pf = arg;
	char		*buf;
	size_t		*have, cap, n = (size_t)len;
	int		*too_long;

	if (pf->capture == 1) {
		buf = pf->href;
		have = &pf->hreflen;
		cap = sizeof pf->href;
		too_long = &pf->too_long;
	} else if (pf->capture == 2) {
		/* Blanks around the number are dropped when it is read. */
		buf = pf->length;
		have = &pf->lengthlen;
		cap = sizeof pf->length;
		too_long = &pf->length_too_long;
	} else
		return;
	if (*have + n >= cap) {
		*too_long = 1;
		return;
	}
	memcpy(buf + *have, s, n);
	*have += n;
}

struct propfind *
propfind_new(struct name_list *l, int which)
{
	struct propfind	*pf = xcalloc(1, sizeof *pf);

	if ((pf->parser = XML_ParserCreateNS("UTF-8", ' ')) == NULL)
		abort();
	pf->list = l;
	pf->which = which;
	XML_SetUserData(pf->parser, pf);
	XML_SetElementHandler(pf->parser, propfind_start, propfind_end);
	XML_SetCharacterDataHandler(pf->parser, propfind_text);
	return pf;
}

int
propfind_feed(struct propfind *pf, const char *buf, size_t len)
{
	if (pf->error != NULL)
		return -1;
	if (XML_Parse(pf->parser, buf, (int)len, 0) != XML_STATUS_OK) {
		if (pf->error == NULL)
			pf->error = xasprintf("the listing is not valid XML "
			    "(line %lu: %s)",
			    (unsigned long)XML_GetCurrentLineNumber(pf->parser),
			    XML_ErrorString(XML_GetErrorCode(pf->parser)));
		return -1;
	}
	return 0;
}

int
propfind_finish(struct propfind *pf, char **cause)
{
	if (pf->error == NULL &&
	    XML_Parse(pf->parser, "", 0, 1) != XML_STATUS_OK)
		pf->error = xasprintf("the listing is not valid XML (%s)",
		    XML_ErrorString(XML_GetErrorCode(pf->parser)));
	if (pf->error != NULL)
		return error_set(cause, "%s", pf->error);
	return 0;
}

void
propfind_free(struct propfind *pf)
{
	if (pf == NULL)
		return;
	XML_ParserFree(pf->parser);
	free(pf->error);
	free(pf);
}
