/*
 * s3xml.c: S3's XML answers, leaf by leaf (see s3xml.h).
 */
#include <stdlib.h>
#include <string.h>

#include <expat.h>

#include "common/xmalloc.h"
#include "s3xml.h"

#define S3XML_TEXT	4096
#define S3XML_DEPTH	16
#define S3XML_NAME	64

struct s3xml {
	s3xml_leaf_fn	 leaf;
	void		*arg;
	char		 names[S3XML_DEPTH][S3XML_NAME];
	int		 depth;
	int		 children;	/* the current element has some */
	char		 text[S3XML_TEXT];
	size_t		 textlen;
	char		*root;
	size_t		 rootlen;
};

/* The local name: expat's namespace form is "uri local". */
static const char *
s3xml_local(const char *name)
{
	const char	*sp = strrchr(name, ' ');

	return sp != NULL ? sp + 1 : name;
}

static void XMLCALL
s3xml_start(void *arg, const XML_Char *el, const XML_Char **attr)
{
	struct s3xml	*x = arg;
	const char	*name = s3xml_local(el);

	(void)attr;
	if (x->depth == 0 && x->root != NULL && x->rootlen > 0) {
		strncpy(x->root, name, x->rootlen - 1);
		x->root[x->rootlen - 1] = '\0';
	}
	if (x->depth < S3XML_DEPTH) {
		strncpy(x->names[x->depth], name, S3XML_NAME - 1);
		x->names[x->depth][S3XML_NAME - 1] = '\0';
	}
	x->depth++;
	x->children = 0;
	x->textlen = 0;
}

static void XMLCALL
s3xml_end(void *arg, const XML_Char *el)
{
	struct s3xml	*x = arg;
	int		 d = x->depth - 1;

	(void)el;
	if (!x->children && d < S3XML_DEPTH && x->leaf != NULL) {
		x->text[x->textlen] = '\0';
		x->leaf(x->arg, d > 0 ? x->names[d - 1] : "", x->names[d],
		    x->text);
	}
	x->depth = d;
	x->children = 1;	/* the parent has one, at least */
	x->textlen = 0;
}

static void XMLCALL
s3xml_text(void *arg, const XML_Char *s, int len)
{
	struct s3xml	*x = arg;
	size_t		 n = (size_t)len;

	if (x->textlen + n >= S3XML_TEXT)
		n = S3XML_TEXT - 1 - x->textlen;
	memcpy(x->text + x->textlen, s, n);
	x->textlen += n;
}

int
s3xml_parse(const char *body, size_t len, s3xml_leaf_fn leaf, void *arg,
    char *root, size_t rootlen)
{
	struct s3xml	*x = xcalloc(1, sizeof *x);
	XML_Parser	 p;
	int		 rc = -1;

	x->leaf = leaf;
	x->arg = arg;
	x->root = root;
	x->rootlen = rootlen;
	if (root != NULL && rootlen > 0)
		*root = '\0';
	if ((p = XML_ParserCreateNS(NULL, ' ')) == NULL)
		abort();
	XML_SetUserData(p, x);
	XML_SetElementHandler(p, s3xml_start, s3xml_end);
	XML_SetCharacterDataHandler(p, s3xml_text);
	if (XML_Parse(p, body, (int)len, XML_TRUE) == XML_STATUS_OK)
		rc = 0;
	XML_ParserFree(p);
	free(x);
	return rc;
}

static void
s3xml_code_leaf(void *arg, const char *parent, const char *name,
    const char *text)
{
	char	**code = arg;

	if (strcmp(parent, "Error") == 0 && strcmp(name, "Code") == 0 &&
	    *code == NULL)
		*code = xstrdup(text);
}

char *
s3xml_error_code(const char *body, size_t len)
{
	char	*code = NULL, root[16];

	if (len == 0 || s3xml_parse(body, len, s3xml_code_leaf, &code, root,
	    sizeof root) != 0 || strcmp(root, "Error") != 0) {
		free(code);
		return NULL;
	}
	return code;
}
