/*
 * treediff.c - test helper: compare two directory trees after backup/restore.
 *
 *   treediff [--no-owner] [--no-mtime-dirs] DIR_A DIR_B
 *   treediff --stats DIR
 *
 * Walks both trees (lstat, never following symlinks) and compares every
 * relative path below the two roots (the roots themselves must be
 * directories; their own attributes are not compared): presence, file type,
 * permission bits (st_mode & 07777, not for symlinks), uid/gid, mtime with
 * nanoseconds (directories skipped with --no-mtime-dirs), size and contents
 * of regular files (sparse-aware via SEEK_DATA/SEEK_HOLE), symlink targets,
 * device numbers and the hard-link structure of regular files.
 *
 * Prints one "differ: KIND: PATH" line per difference, paths sorted by raw
 * bytes (strcmp); bytes < 0x20, >= 0x7f and '\' are printed as \xNN.
 * Exit status: 0 identical, 1 differences found, 2 usage or I/O error
 * (message on stderr prefixed "treediff: ").
 *
 * --stats prints "files=N dirs=N symlinks=N hardlinks=N bytes=N" where
 * hardlinks counts extra names beyond the first per inode and bytes is the
 * apparent size of regular files, each inode counted once.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#define CHUNK (1024 * 1024)

struct entry {
	char *rel;       /* path relative to the root, raw bytes */
	struct stat st;  /* lstat() result */
	char *link;      /* symlink target or NULL */
	size_t linklen;
	const char *rep; /* hard-link representative: smallest rel of the inode */
};

struct tree {
	const char *root;
	struct entry *e;
	size_t n, cap;
};

struct opts {
	bool no_owner;
	bool no_mtime_dirs;
};

static void put_escaped(FILE *f, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p < 0x20 || *p >= 0x7f || *p == '\\')
			fprintf(f, "\\x%02x", *p);
		else
			fputc(*p, f);
	}
}

static void fail(const char *what, const char *path, int err)
{
	fprintf(stderr, "treediff: %s: ", what);
	put_escaped(stderr, path);
	if (err)
		fprintf(stderr, ": %s", strerror(err));
	fputc('\n', stderr);
}

/* Allocation failure in a test helper is fatal: exit 2 instead of unwinding. */
static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p) {
		fputs("treediff: out of memory\n", stderr);
		exit(2);
	}
	return p;
}

static char *join(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	char *s = xrealloc(NULL, la + lb + 2);

	if (!la)
		return memcpy(s, b, lb + 1);
	memcpy(s, a, la);
	s[la] = '/';
	memcpy(s + la + 1, b, lb + 1);
	return s;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cmp_entry(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->rel, ((const struct entry *)b)->rel);
}

static int cmp_inode(const void *a, const void *b)
{
	const struct entry *x = *(struct entry *const *)a, *y = *(struct entry *const *)b;

	if (x->st.st_dev != y->st.st_dev)
		return x->st.st_dev < y->st.st_dev ? -1 : 1;
	if (x->st.st_ino != y->st.st_ino)
		return x->st.st_ino < y->st.st_ino ? -1 : 1;
	return strcmp(x->rel, y->rel);
}

/* Append an entry for rel (ownership of rel passes to the tree). */
static int add_entry(struct tree *t, char *rel)
{
	int ret = -1;
	char *full = join(t->root, rel), *buf = NULL;
	struct entry *e;

	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 256;
		t->e = xrealloc(t->e, t->cap * sizeof(*t->e));
	}
	e = &t->e[t->n];
	memset(e, 0, sizeof(*e));
	if (lstat(full, &e->st) < 0) {
		fail("lstat", full, errno);
		goto out;
	}
	if (S_ISLNK(e->st.st_mode)) {
		size_t sz = e->st.st_size > 0 ? (size_t)e->st.st_size + 1 : 256;

		for (;;) {
			ssize_t r;

			buf = xrealloc(buf, sz);
			r = readlink(full, buf, sz);
			if (r < 0) {
				fail("readlink", full, errno);
				goto out;
			}
			if ((size_t)r < sz) {
				buf[r] = '\0';
				e->linklen = (size_t)r;
				break;
			}
			sz *= 2;
		}
		e->link = buf;
		buf = NULL;
	}
	e->rel = rel;
	rel = NULL;
	t->n++;
	ret = 0;
out:
	free(rel);
	free(full);
	free(buf);
	return ret;
}

/* Recursively collect the contents of directory rel ("" = root). */
static int walk(struct tree *t, const char *rel)
{
	int ret = -1;
	char *dpath = rel[0] ? join(t->root, rel) : join("", t->root);
	char **names = NULL;
	size_t nn = 0, cap = 0, i;
	DIR *d = opendir(dpath);
	struct dirent *de;

	if (!d) {
		fail("opendir", dpath, errno);
		goto out;
	}
	for (;;) {
		errno = 0;
		de = readdir(d);
		if (!de)
			break;
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (nn == cap) {
			cap = cap ? cap * 2 : 32;
			names = xrealloc(names, cap * sizeof(*names));
		}
		names[nn++] = join("", de->d_name);
	}
	if (errno) {
		fail("readdir", dpath, errno);
		goto out;
	}
	closedir(d); /* close before recursing: deep trees must not run out of fds */
	d = NULL;
	qsort(names, nn, sizeof(*names), cmp_str);
	for (i = 0; i < nn; i++) {
		char *crel = join(rel, names[i]);

		if (add_entry(t, crel) < 0)
			goto out;
		if (S_ISDIR(t->e[t->n - 1].st.st_mode) && walk(t, crel) < 0)
			goto out;
	}
	ret = 0;
out:
	if (d)
		closedir(d);
	for (i = 0; i < nn; i++)
		free(names[i]);
	free(names);
	free(dpath);
	return ret;
}

static void free_tree(struct tree *t)
{
	for (size_t i = 0; i < t->n; i++) {
		free(t->e[i].rel);
		free(t->e[i].link);
	}
	free(t->e);
	t->e = NULL;
	t->n = t->cap = 0;
}

/* Load a whole tree, sorted by rel, with hard-link representatives set. */
static int load_tree(struct tree *t, const char *root)
{
	int ret = -1;
	struct entry **hl = NULL;
	size_t nh = 0, i, j;
	struct stat st;

	t->root = root;
	if (stat(root, &st) < 0) {
		fail("stat", root, errno);
		goto out;
	}
	if (!S_ISDIR(st.st_mode)) {
		fail("not a directory", root, 0);
		goto out;
	}
	if (walk(t, "") < 0)
		goto out;
	qsort(t->e, t->n, sizeof(*t->e), cmp_entry);
	hl = xrealloc(NULL, t->n * sizeof(*hl));
	for (i = 0; i < t->n; i++) {
		t->e[i].rep = t->e[i].rel;
		if (S_ISREG(t->e[i].st.st_mode) && t->e[i].st.st_nlink > 1)
			hl[nh++] = &t->e[i];
	}
	qsort(hl, nh, sizeof(*hl), cmp_inode);
	for (i = 0; i < nh; i = j) {
		for (j = i + 1; j < nh && hl[j]->st.st_dev == hl[i]->st.st_dev &&
				hl[j]->st.st_ino == hl[i]->st.st_ino; j++)
			hl[j]->rep = hl[i]->rel;
	}
	ret = 0;
out:
	free(hl);
	return ret;
}

static off_t next_data(int fd, off_t pos, off_t size)
{
#ifdef SEEK_DATA
	off_t r = lseek(fd, pos, SEEK_DATA);

	if (r < 0)
		return errno == ENXIO ? size : pos; /* unsupported: all data */
	return r < size ? r : size;
#else
	(void)fd; (void)size;
	return pos;
#endif
}

static off_t next_hole(int fd, off_t pos, off_t size)
{
#ifdef SEEK_HOLE
	off_t r = lseek(fd, pos, SEEK_HOLE);

	return (r < 0 || r > size) ? size : r;
#else
	(void)fd; (void)pos;
	return size;
#endif
}

static ssize_t read_full(int fd, char *buf, size_t len, off_t off)
{
	size_t got = 0;

	while (got < len) {
		ssize_t r = pread(fd, buf + got, len - got, off + (off_t)got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

/* 1 = same content, 0 = differs, -1 = I/O error. */
static int same_content(const char *pa, const char *pb)
{
	int ret = -1, fa = -1, fb = -1;
	char *ba = NULL, *bb = NULL;
	struct stat sa, sb;
	off_t pos = 0, size;

	fa = open(pa, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fa < 0 || fstat(fa, &sa) < 0) {
		fail("open", pa, errno);
		goto out;
	}
	fb = open(pb, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fb < 0 || fstat(fb, &sb) < 0) {
		fail("open", pb, errno);
		goto out;
	}
	ret = 0;
	if (sa.st_size != sb.st_size)
		goto out;
	size = sa.st_size;
	ba = xrealloc(NULL, CHUNK);
	bb = xrealloc(NULL, CHUNK);
	/*
	 * Ranges where both files have a hole are skipped; any range where at
	 * least one file has data is compared byte for byte (holes read as 0).
	 */
	while (pos < size) {
		off_t da = next_data(fa, pos, size), db = next_data(fb, pos, size);
		off_t d = da < db ? da : db, ea, eb, end;

		if (d >= size)
			break;
		ea = da == d ? next_hole(fa, d, size) : da;
		eb = db == d ? next_hole(fb, d, size) : db;
		end = ea < eb ? ea : eb;
		if (end <= d)
			end = size;
		for (pos = d; pos < end;) {
			size_t want = end - pos > CHUNK ? CHUNK : (size_t)(end - pos);
			ssize_t na = read_full(fa, ba, want, pos);
			ssize_t nb = read_full(fb, bb, want, pos);

			if (na < 0 || nb < 0) {
				fail("read", na < 0 ? pa : pb, errno);
				ret = -1;
				goto out;
			}
			if (na != nb || (size_t)na != want || memcmp(ba, bb, want))
				goto out;
			pos += (off_t)want;
		}
	}
	ret = 1;
out:
	if (fa >= 0)
		close(fa);
	if (fb >= 0)
		close(fb);
	free(ba);
	free(bb);
	return ret;
}

static void report(const char *kind, const char *rel, int *ndiff)
{
	printf("differ: %s: ", kind);
	put_escaped(stdout, rel);
	putchar('\n');
	(*ndiff)++;
}

/* Compare one path present in both trees; -1 on I/O error. */
static int compare(const struct opts *o, const struct tree *A, const struct entry *a,
		   const struct tree *B, const struct entry *b, int *ndiff)
{
	int ret = -1, r;
	char *pa = NULL, *pb = NULL;
	mode_t m = a->st.st_mode;

	if ((m & S_IFMT) != (b->st.st_mode & S_IFMT)) {
		report("type", a->rel, ndiff);
		ret = 0;
		goto out;
	}
	if (!S_ISLNK(m) && (m & 07777) != (b->st.st_mode & 07777))
		report("mode", a->rel, ndiff);
	if (!o->no_owner && a->st.st_uid != b->st.st_uid)
		report("uid", a->rel, ndiff);
	if (!o->no_owner && a->st.st_gid != b->st.st_gid)
		report("gid", a->rel, ndiff);
	if (!(S_ISDIR(m) && o->no_mtime_dirs) &&
	    (a->st.st_mtim.tv_sec != b->st.st_mtim.tv_sec ||
	     a->st.st_mtim.tv_nsec != b->st.st_mtim.tv_nsec))
		report("mtime", a->rel, ndiff);
	if (S_ISREG(m)) {
		if (a->st.st_size != b->st.st_size) {
			report("size", a->rel, ndiff);
		} else {
			pa = join(A->root, a->rel);
			pb = join(B->root, b->rel);
			r = same_content(pa, pb);
			if (r < 0)
				goto out;
			if (!r)
				report("content", a->rel, ndiff);
		}
		if (strcmp(a->rep, b->rep))
			report("hardlink", a->rel, ndiff);
	} else if (S_ISLNK(m)) {
		if (a->linklen != b->linklen || memcmp(a->link, b->link, a->linklen))
			report("symlink", a->rel, ndiff);
	} else if (S_ISCHR(m) || S_ISBLK(m)) {
		if (a->st.st_rdev != b->st.st_rdev)
			report("rdev", a->rel, ndiff);
	}
	ret = 0;
out:
	free(pa);
	free(pb);
	return ret;
}

static int do_diff(const struct opts *o, const char *ra, const char *rb)
{
	int ret = 2, ndiff = 0;
	struct tree A = {0}, B = {0};
	size_t i = 0, j = 0;

	if (load_tree(&A, ra) < 0 || load_tree(&B, rb) < 0)
		goto out;
	while (i < A.n || j < B.n) {
		int c = i == A.n ? 1 : j == B.n ? -1 : strcmp(A.e[i].rel, B.e[j].rel);

		if (c < 0) {
			report("only in A", A.e[i++].rel, &ndiff);
		} else if (c > 0) {
			report("only in B", B.e[j++].rel, &ndiff);
		} else {
			if (compare(o, &A, &A.e[i], &B, &B.e[j], &ndiff) < 0)
				goto out;
			i++;
			j++;
		}
	}
	ret = ndiff ? 1 : 0;
out:
	free_tree(&A);
	free_tree(&B);
	return ret;
}

static int do_stats(const char *root)
{
	int ret = 2;
	struct tree t = {0};
	unsigned long long files = 0, dirs = 0, links = 0, hard = 0, bytes = 0;

	if (load_tree(&t, root) < 0)
		goto out;
	for (size_t i = 0; i < t.n; i++) {
		const struct entry *e = &t.e[i];

		if (S_ISREG(e->st.st_mode)) {
			files++;
			if (e->rep != e->rel)
				hard++;
			else
				bytes += (unsigned long long)e->st.st_size;
		} else if (S_ISDIR(e->st.st_mode)) {
			dirs++;
		} else if (S_ISLNK(e->st.st_mode)) {
			links++;
		}
	}
	printf("files=%llu dirs=%llu symlinks=%llu hardlinks=%llu bytes=%llu\n",
	       files, dirs, links, hard, bytes);
	ret = 0;
out:
	free_tree(&t);
	return ret;
}

static int usage(void)
{
	fprintf(stderr, "treediff: usage: treediff [--no-owner] [--no-mtime-dirs] DIR_A DIR_B\n"
			"       treediff --stats DIR\n");
	return 2;
}

int main(int argc, char **argv)
{
	struct opts o = {0};
	const char *stats = NULL;
	int i, rc;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--")) {
			i++;
			break;
		} else if (!strcmp(argv[i], "--no-owner")) {
			o.no_owner = true;
		} else if (!strcmp(argv[i], "--no-mtime-dirs")) {
			o.no_mtime_dirs = true;
		} else if (!strcmp(argv[i], "--stats") && i + 1 < argc) {
			stats = argv[++i];
		} else if (argv[i][0] == '-' && argv[i][1]) {
			return usage();
		} else {
			break;
		}
	}
	if (stats)
		rc = i == argc ? do_stats(stats) : usage();
	else
		rc = argc - i == 2 ? do_diff(&o, argv[i], argv[i + 1]) : usage();
	if (fflush(stdout) == EOF || ferror(stdout)) {
		fprintf(stderr, "treediff: write error on stdout\n");
		rc = 2;
	}
	return rc;
}
