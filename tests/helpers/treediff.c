/*
 * treediff.c - test helper: compare two directory trees after backup/restore.
 *
 *   treediff [--no-owner] [--no-mtime-dirs] DIR_A DIR_B
 *   treediff --stats DIR
 *
 * Compares every path below the two roots (whose own attributes are not
 * compared), never following symlinks: presence, type, st_mode & 07777 (not
 * for symlinks), uid/gid, mtime incl. ns (not for dirs with --no-mtime-dirs),
 * size and sparse-aware contents of regular files, symlink targets, rdev and
 * hard-link structure (each regular file maps to the smallest path sharing
 * its inode in its own tree; both trees must agree).  Prints one
 * "differ: KIND: PATH" line per difference, sorted by raw bytes (strcmp);
 * bytes < 0x20, >= 0x7f and '\' are printed as \xNN.
 * Exit: 0 identical, 1 differences, 2 usage or I/O error ("treediff: ...").
 * --stats prints "files=N dirs=N symlinks=N hardlinks=N bytes=N" for entries
 * below DIR (hardlinks: extra names per inode; bytes: apparent size of
 * regular files, each inode counted once).
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

#ifndef SEEK_DATA /* Linux values; unsupported kernels fail with EINVAL */
#define SEEK_DATA 3
#define SEEK_HOLE 4
#endif

#define CHUNK (1024 * 1024)

struct entry {
	char *rel;       /* path relative to the root, raw bytes */
	struct stat st;  /* lstat() result */
	char *link;      /* symlink target (raw bytes) or NULL */
	size_t linklen;
	const char *rep; /* hard-link representative (points to some rel) */
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

/* "a/b", or a copy of b when a is empty. */
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

/*
 * Paths below a root may be longer than PATH_MAX (deep.sh), and then a
 * call on the whole path fails with ENAMETOOLONG. Each *_long call below
 * then opens the parent one component at a time and uses the *at call on
 * the last component; errno is kept for the caller's message.
 */
static int open_parent(const char *path, const char **leaf)
{
	char *copy = xrealloc(NULL, strlen(path) + 1), *p, *slash;
	int fd, next;

	strcpy(copy, path);
	fd = open(*path == '/' ? "/" : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	for (p = copy; fd >= 0 && (slash = strchr(p, '/')); p = slash + 1) {
		*slash = '\0';
		if (!*p)
			continue;
		next = openat(fd, p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		close(fd);
		fd = next;
	}
	*leaf = path + (p - copy);
	free(copy);
	return fd;
}

static void close_keep_errno(int fd)
{
	int e = errno;

	close(fd);
	errno = e;
}

static int lstat_long(const char *path, struct stat *st)
{
	const char *leaf;
	int fd, r;

	if ((r = lstat(path, st)) == 0 || errno != ENAMETOOLONG)
		return r;
	if ((fd = open_parent(path, &leaf)) < 0)
		return -1;
	r = fstatat(fd, leaf, st, AT_SYMLINK_NOFOLLOW);
	close_keep_errno(fd);
	return r;
}

static ssize_t readlink_long(const char *path, char *buf, size_t sz)
{
	const char *leaf;
	ssize_t r;
	int fd;

	if ((r = readlink(path, buf, sz)) >= 0 || errno != ENAMETOOLONG)
		return r;
	if ((fd = open_parent(path, &leaf)) < 0)
		return -1;
	r = readlinkat(fd, leaf, buf, sz);
	close_keep_errno(fd);
	return r;
}

static int open_long(const char *path, int flags)
{
	const char *leaf;
	int fd, r;

	if ((r = open(path, flags)) >= 0 || errno != ENAMETOOLONG)
		return r;
	if ((fd = open_parent(path, &leaf)) < 0)
		return -1;
	r = openat(fd, leaf, flags);
	close_keep_errno(fd);
	return r;
}

static DIR *opendir_long(const char *path)
{
	DIR *d;
	int fd;

	if ((d = opendir(path)) || errno != ENAMETOOLONG)
		return d;
	fd = open_long(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || (d = fdopendir(fd)))
		return d;
	close_keep_errno(fd);
	return NULL;
}

static int cmp_entry(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->rel, ((const struct entry *)b)->rel);
}

static int cmp_inode(const void *a, const void *b)
{
	const struct stat *x = &(*(struct entry *const *)a)->st;
	const struct stat *y = &(*(struct entry *const *)b)->st;

	if (x->st_dev != y->st_dev)
		return x->st_dev < y->st_dev ? -1 : 1;
	if (x->st_ino != y->st_ino)
		return x->st_ino < y->st_ino ? -1 : 1;
	return cmp_entry(*(struct entry *const *)a, *(struct entry *const *)b);
}

/* Append an entry for rel; the tree takes ownership of rel in all cases. */
static int add_entry(struct tree *t, char *rel)
{
	int ret = -1;
	char *full = join(t->root, rel);
	struct entry *e;
	ssize_t r;

	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 256;
		t->e = xrealloc(t->e, t->cap * sizeof(*t->e));
	}
	e = memset(&t->e[t->n], 0, sizeof(*e));
	e->rel = rel;
	if (lstat_long(full, &e->st) < 0) {
		fail("lstat", full, errno);
		goto out;
	}
	for (size_t sz = 256; S_ISLNK(e->st.st_mode); sz *= 2) {
		e->link = xrealloc(e->link, sz);
		r = readlink_long(full, e->link, sz);
		if (r < 0) {
			fail("readlink", full, errno);
			goto out;
		}
		if ((size_t)r < sz) {
			e->link[r] = '\0';
			e->linklen = (size_t)r;
			break;
		}
	}
	ret = 0;
out:
	t->n++; /* even on error, so free_tree() releases rel and link */
	free(full);
	return ret;
}

/* Recursively collect everything below directory rel ("" = the root). */
static int walk(struct tree *t, const char *rel)
{
	int ret = -1;
	char *dpath = join(t->root, rel);
	size_t first = t->n, last, i;
	DIR *d = opendir_long(dpath);
	struct dirent *de;

	if (!d) {
		fail("opendir", dpath, errno);
		goto out;
	}
	for (errno = 0; (de = readdir(d)); errno = 0) {
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") &&
		    add_entry(t, join(rel, de->d_name)) < 0)
			goto out;
	}
	if (errno) {
		fail("readdir", dpath, errno);
		goto out;
	}
	closedir(d); /* before recursing, so deep trees cannot exhaust fds */
	d = NULL;
	/* t->e may move while recursing; rel strings do not. */
	for (last = t->n, i = first; i < last; i++)
		if (S_ISDIR(t->e[i].st.st_mode) && walk(t, t->e[i].rel) < 0)
			goto out;
	ret = 0;
out:
	if (d)
		closedir(d);
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
}

/* Load a tree, sorted by raw relative path, with hard-link representatives. */
static int load_tree(struct tree *t, const char *root)
{
	int ret = -1;
	struct entry **hl = NULL;
	size_t nh = 0, i, j;
	struct stat st;

	t->root = root;
	errno = 0;
	if (stat(root, &st) < 0 || !S_ISDIR(st.st_mode)) {
		fail(errno ? "stat" : "not a directory", root, errno);
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
	for (i = 0; i < nh; i = j)
		for (j = i + 1; j < nh && hl[j]->st.st_dev == hl[i]->st.st_dev &&
		     hl[j]->st.st_ino == hl[i]->st.st_ino; j++)
			hl[j]->rep = hl[i]->rel;
	ret = 0;
out:
	free(hl);
	return ret;
}

/* Next data offset at or after pos; pos itself if SEEK_DATA is unsupported. */
static off_t next_data(int fd, off_t pos, off_t size)
{
	off_t r = lseek(fd, pos, SEEK_DATA);

	if (r < 0)
		return errno == ENXIO ? size : pos;
	return r < size ? r : size;
}

static off_t next_hole(int fd, off_t pos, off_t size)
{
	off_t r = lseek(fd, pos, SEEK_HOLE);

	return r < 0 || r > size ? size : r;
}

static ssize_t read_full(int fd, char *buf, size_t len, off_t off)
{
	size_t got = 0;
	ssize_t r;

	while (got < len) {
		r = pread(fd, buf + got, len - got, off + (off_t)got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r < 0 ? -1 : (ssize_t)got;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

/*
 * 1 = same content, 0 = differs, -1 = I/O error.  Ranges that are holes in
 * both files are skipped; a range where either file has data is compared
 * byte for byte (a hole reads as zeros), so differing layouts still work.
 */
static int same_content(const char *ra, const char *rb, const char *rel)
{
	int ret = -1, fa, fb = -1;
	char *pa = join(ra, rel), *pb = join(rb, rel), *ba = NULL, *bb = NULL;
	struct stat sa, sb;
	off_t pos = 0, size, da, db, d, ea, eb, end;
	ssize_t na, nb;
	size_t want;

	fa = open_long(pa, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fa < 0 || fstat(fa, &sa) < 0) {
		fail("open", pa, errno);
		goto out;
	}
	fb = open_long(pb, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
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
	while (pos < size) {
		da = next_data(fa, pos, size);
		db = next_data(fb, pos, size);
		d = da < db ? da : db;
		if (d >= size)
			break;
		/* [d, end): at least one file has data, neither changes state */
		ea = da == d ? next_hole(fa, d, size) : da;
		eb = db == d ? next_hole(fb, d, size) : db;
		end = ea < eb ? ea : eb;
		if (end <= d)
			end = size;
		for (pos = d; pos < end; pos += (off_t)want) {
			want = end - pos > CHUNK ? CHUNK : (size_t)(end - pos);
			na = read_full(fa, ba, want, pos);
			nb = read_full(fb, bb, want, pos);
			if (na < 0 || nb < 0) {
				fail("read", na < 0 ? pa : pb, errno);
				ret = -1;
				goto out;
			}
			if ((size_t)na != want || (size_t)nb != want || memcmp(ba, bb, want))
				goto out;
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
	free(pa);
	free(pb);
	return ret;
}

static void report(const char *kind, const char *rel, int *ndiff)
{
	printf("differ: %s: ", kind);
	put_escaped(stdout, rel);
	putchar('\n');
	(*ndiff)++;
}

/* Compare one path present in both trees; -1 on I/O error (no resources held). */
static int compare(const struct opts *o, const struct tree *A, const struct entry *a,
		   const struct tree *B, const struct entry *b, int *ndiff)
{
	mode_t m = a->st.st_mode;
	int r;

	if ((m & S_IFMT) != (b->st.st_mode & S_IFMT)) {
		report("type", a->rel, ndiff);
		return 0;
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
	if (S_ISREG(m) && a->st.st_size != b->st.st_size) {
		report("size", a->rel, ndiff);
	} else if (S_ISREG(m)) {
		r = same_content(A->root, B->root, a->rel);
		if (r < 0)
			return -1;
		if (!r)
			report("content", a->rel, ndiff);
	}
	if (S_ISREG(m) && strcmp(a->rep, b->rep))
		report("hardlink", a->rel, ndiff);
	if (S_ISLNK(m) && (a->linklen != b->linklen || memcmp(a->link, b->link, a->linklen)))
		report("symlink", a->rel, ndiff);
	if ((S_ISCHR(m) || S_ISBLK(m)) && a->st.st_rdev != b->st.st_rdev)
		report("rdev", a->rel, ndiff);
	return 0;
}

static int do_diff(const struct opts *o, const char *ra, const char *rb)
{
	int ret = 2, ndiff = 0, c;
	struct tree A = {0}, B = {0};
	size_t i = 0, j = 0;

	if (load_tree(&A, ra) < 0 || load_tree(&B, rb) < 0)
		goto out;
	while (i < A.n || j < B.n) {
		c = i == A.n ? 1 : j == B.n ? -1 : strcmp(A.e[i].rel, B.e[j].rel);
		if (c < 0)
			report("only in A", A.e[i++].rel, &ndiff);
		else if (c > 0)
			report("only in B", B.e[j++].rel, &ndiff);
		else if (compare(o, &A, &A.e[i++], &B, &B.e[j++], &ndiff) < 0)
			goto out;
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
		mode_t m = t.e[i].st.st_mode;

		files += S_ISREG(m);
		dirs += S_ISDIR(m);
		links += S_ISLNK(m);
		if (S_ISREG(m) && t.e[i].rep != t.e[i].rel)
			hard++;
		else if (S_ISREG(m))
			bytes += (unsigned long long)t.e[i].st.st_size;
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
	fputs("treediff: usage: treediff [--no-owner] [--no-mtime-dirs] DIR_A DIR_B\n"
	      "       treediff --stats DIR\n", stderr);
	return 2;
}

int main(int argc, char **argv)
{
	struct opts o = {0};
	const char *stats = NULL;
	int i, rc;

	for (i = 1; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
		if (!strcmp(argv[i], "--")) {
			i++;
			break;
		} else if (!strcmp(argv[i], "--no-owner")) {
			o.no_owner = true;
		} else if (!strcmp(argv[i], "--no-mtime-dirs")) {
			o.no_mtime_dirs = true;
		} else if (!strcmp(argv[i], "--stats") && i + 1 < argc) {
			stats = argv[++i];
		} else {
			return usage();
		}
	}
	if (stats)
		rc = i == argc ? do_stats(stats) : usage();
	else
		rc = argc - i == 2 ? do_diff(&o, argv[i], argv[i + 1]) : usage();
	if (fflush(stdout) == EOF || ferror(stdout)) {
		fputs("treediff: write error on stdout\n", stderr);
		rc = 2;
	}
	return rc;
}
