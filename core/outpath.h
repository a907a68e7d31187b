/*
 * Where run-bench writes: the result file (--out, or a name under
 * --results-dir) and the perf data beside it, checked before a run boots
 * anything, so a path that cannot be written is bad input (exit 2) found in
 * a moment, not a failed run found after it. The writing itself is
 * result_write (core/result.c).
 */
#ifndef DIRTYBENCH_OUTPATH_H
#define DIRTYBENCH_OUTPATH_H

#include <stddef.h>

enum outpath_kind {
	OUTPATH_FILE,   /* a regular file or none yet: a temporary file beside it, then rename */
	OUTPATH_STREAM, /* an existing character device or FIFO: written in place, never replaced */
};

/* Can a result be written at path? EXIT_OK with *kind, or EXIT_BAD_INPUT with
 * one line in err, "WHAT: reason: path" (the path shortened, the reason kept).
 * Refused: '', longer than PATH_MAX, a name too long, a missing or unwritable
 * folder, a folder, a block device, a socket. */
int outpath_check_file(const char *what, const char *path, enum outpath_kind *kind, char *err, size_t len);
/* The folder default result files go to: created (one level, as before) when
 * missing; EXIT_OK, or EXIT_BAD_INPUT with one line in err. */
int outpath_check_dir(const char *what, const char *dir, char *err, size_t len);
/* path for a message: if longer than max bytes, its middle is elided ("...")
 * so both ends stay; returns buf. */
const char *outpath_shorten(char *buf, size_t len, const char *path, size_t max);
/* RESULT.json -> RESULT.perf.data, or RESULT.runN.perf.data for run (from 0)
 * of a series of repeat runs. 0, or -1 when it does not fit in len. */
int outpath_perf_data(char *buf, size_t len, const char *result_path, int run, int repeat);
/* The perf data files of a series of repeat runs beside result_path: as
 * outpath_check_file, and a regular file or none. */
int outpath_check_perf_data(const char *result_path, int repeat, char *err, size_t len);

#endif
