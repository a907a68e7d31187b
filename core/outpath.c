/* Output paths checked before a run; see outpath.h. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/outpath.h"
#include "core/status.h"

#define OUTPATH_MSG_MAX 160     /* bytes of a path shown in a message */

const char *outpath_shorten(char *buf, size_t len, const char *path, size_t max)
{
	size_t n = strlen(path), head, tail;

	if (n <= max || max < 8) {
		snprintf(buf, len, "%s", path);
		return buf;
	}
	/* Keep more of the end: the file name tells which path it is. */
	head = (max - 3) / 3;
	tail = max - 3 - head;
	snprintf(buf, len, "%.*s...%s", (int)head, path, path + n - tail);
	return buf;
}

/* "WHAT: reason: path", the reason before the path so a long path cannot
 * push it out of the line. */
static int __attribute__((format(printf, 5, 6)))
refuse(char *err, size_t len, const char *what, const char *path, const char *fmt, ...)
{
	char reason[256], shown[OUTPATH_MSG_MAX + 1];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	snprintf(err, len, "%s: %s: %s", what, reason, outpath_shorten(shown, sizeof(shown), path, OUTPATH_MSG_MAX));
	return EXIT_BAD_INPUT;
}

/* '' and a path longer than PATH_MAX, whatever it would name: never cut
 * short to name another file. */
static int check_length(const char *what, const char *path, const char *noun, char *err, size_t len)
{
	size_t n = strlen(path);

	if (!n) {
		snprintf(err, len, "%s '': an empty path names no %s", what, noun);
		return EXIT_BAD_INPUT;
	}
	if (n >= PATH_MAX)
		return refuse(err, len, what, path, "the path is %zu bytes, longer than PATH_MAX (%d)", n, PATH_MAX);
	return EXIT_OK;
}

/* Why stat or a look-up of path failed, in words a user can act on. */
static int refuse_errno(char *err, size_t len, const char *what, const char *path, const char *subject, int e)
{
	if (e == ENAMETOOLONG)
		return refuse(err, len, what, path, "a name in the path is longer than the file system allows (%s)",
			      strerror(e));
	if (e == ENOTDIR)
		return refuse(err, len, what, path, "the path goes through something that is not a folder (%s)", strerror(e));
	if (e == ENOENT)
		return refuse(err, len, what, path, "no such folder");
	return refuse(err, len, what, path, "%s: %s", subject, strerror(e));
}

/* dir must be a folder new files can be made in. shown: the path the user
 * gave; parent: dir is that path's folder, not the path itself. */
static int check_folder(const char *what, const char *shown, const char *dir, bool parent, char *err, size_t len)
{
	struct stat st;

	if (stat(dir, &st))
		return refuse_errno(err, len, what, shown, "cannot look it up", errno);
	if (!S_ISDIR(st.st_mode))
		return refuse(err, len, what, shown, "%sis not a folder", parent ? "its folder " : "");
	/* access() says EROFS for a read-only mount, also to root. */
	if (access(dir, W_OK | X_OK))
		return refuse(err, len, what, shown, "cannot create files in %s (%s)", parent ? "its folder" : "it",
			      strerror(errno));
	return EXIT_OK;
}

/* The folder a new file at path would go in: path up to its last '/'. */
static int check_parent(const char *what, const char *path, char *err, size_t len)
{
	const char *slash = strrchr(path, '/');
	char dir[PATH_MAX];

	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else
		snprintf(dir, sizeof(dir), "%.*s", slash == path ? 1 : (int)(slash - path), path);
	return check_folder(what, path, dir, true, err, len);
}

static int check_existing(const char *what, const char *path, const struct stat *st,
			  enum outpath_kind *kind, char *err, size_t len)
{
	if (S_ISDIR(st->st_mode))
		return refuse(err, len, what, path, "is a folder, not a file");
	if (S_ISBLK(st->st_mode))
		return refuse(err, len, what, path, "is a block device: a result is not written over a disk");
	if (S_ISSOCK(st->st_mode))
		return refuse(err, len, what, path, "is a socket, not a file");
	if (S_ISREG(st->st_mode)) {
		*kind = OUTPATH_FILE;   /* replaced by rename: its folder must take a new file */
		return check_parent(what, path, err, len);
	}
	/* A character device or a FIFO (/dev/null, a pipe to a reader): written
	 * in place, as a shell's '>' would. */
	if (access(path, W_OK))
		return refuse(err, len, what, path, "cannot write to it (%s)", strerror(errno));
	*kind = OUTPATH_STREAM;
	return EXIT_OK;
}

int outpath_check_file(const char *what, const char *path, enum outpath_kind *kind, char *err, size_t len)
{
	size_t n = strlen(path);
	struct stat st;

	*kind = OUTPATH_FILE;
	if (check_length(what, path, "file", err, len))
		return EXIT_BAD_INPUT;
	if (!stat(path, &st))
		return check_existing(what, path, &st, kind, err, len);
	if (errno != ENOENT)
		return refuse_errno(err, len, what, path, "cannot look it up", errno);
	if (path[n - 1] == '/')
		return refuse(err, len, what, path, "names a folder (ends in '/'), not a file");
	return check_parent(what, path, err, len);
}

int outpath_check_dir(const char *what, const char *dir, char *err, size_t len)
{
	struct stat st;

	if (check_length(what, dir, "folder", err, len))
		return EXIT_BAD_INPUT;
	if (stat(dir, &st) && errno == ENOENT && mkdir(dir, 0755) && errno != EEXIST)
		return refuse(err, len, what, dir, "cannot create it (%s)", strerror(errno));
	return check_folder(what, dir, dir, false, err, len);
}

int outpath_perf_data(char *buf, size_t len, const char *result_path, int run, int repeat)
{
	size_t stem = strlen(result_path);
	char nth[32] = "";
	int n;

	if (stem > 5 && !strcmp(result_path + stem - 5, ".json"))
		stem -= 5;
	if (repeat > 1)
		snprintf(nth, sizeof(nth), ".run%d", run + 1);
	n = snprintf(buf, len, "%.*s%s.perf.data", (int)stem, result_path, nth);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

int outpath_check_perf_data(const char *result_path, int repeat, char *err, size_t len)
{
	const char *what = "--perf-record";
	enum outpath_kind kind;
	char path[PATH_MAX];
	int status;

	/* The last run's name is the longest. */
	if (outpath_perf_data(path, sizeof(path), result_path, repeat - 1, repeat))
		return refuse(err, len, what, result_path, "its data file's path would be longer than PATH_MAX (%d)",
			      PATH_MAX);
	if ((status = outpath_check_file(what, path, &kind, err, len)))
		return status;
	if (kind != OUTPATH_FILE)
		return refuse(err, len, what, path, "its data file's path names a device or FIFO");
	return EXIT_OK;
}
