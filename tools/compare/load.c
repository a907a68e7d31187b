/*
 * Reading BASELINE_DIR and CURRENT_DIR: every *.json in a directory is a
 * result (dirtybench-result/1) or a series of them (dirtybench-series/1);
 * each run is checked (metrics.c) and pooled with the other runs of its
 * configuration (strategy, workload, resolution, tile grid, rate, seed,
 * strategy and workload options, ring size). Anything else in a directory's
 * *.json is unusable input, said in one line that names what is wrong.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/json_path.h"
#include "core/result.h"
#include "core/series.h"
#include "tools/compare/compare.h"

/* Any JSON value as short text, for the configuration key. */
static void text(const json_t *r, const char *path, char *buf, size_t len)
{
	const json_t *v = json_path(r, path);

	if (json_is_string(v))
		snprintf(buf, len, "%s", json_string_value(v));
	else if (json_is_number(v))
		snprintf(buf, len, "%g", json_number_value(v));
	else
		snprintf(buf, len, "-");
}

/* The configuration's key, what the guest drew, and its name in the table.
 * Options longer than run-bench takes are refused, not cut: runs whose keys
 * were cut short could be pooled with another configuration's. */
static int entry_identity(const json_t *r, const char *where, char *cfg, char *scene, char *label,
			  size_t lablen)
{
	char sopt[MAX_OPTIONS + 2], wopt[MAX_OPTIONS + 2], rate[32], seed[32], ring[32], cols[32], rows[32];
	const char *s = cmp_str(r, "run.strategy"), *w = cmp_str(r, "run.workload");

	text(r, "run.options.strategy_options", sopt, sizeof(sopt));
	text(r, "run.options.workload_options", wopt, sizeof(wopt));
	text(r, "run.options.rate_hz", rate, sizeof(rate));
	text(r, "run.options.seed", seed, sizeof(seed));
	text(r, "run.options.dirty_ring_bytes", ring, sizeof(ring));
	text(r, "run.options.tile_cols", cols, sizeof(cols));
	text(r, "run.options.tile_rows", rows, sizeof(rows));
	if (strlen(sopt) > MAX_OPTIONS || strlen(wopt) > MAX_OPTIONS)
		return cmp_fail("%s: 'run.options.%s_options' is longer than %d characters", where,
				strlen(sopt) > MAX_OPTIONS ? "strategy" : "workload", MAX_OPTIONS);
	snprintf(cfg, CFG_LEN, "%s|%s|sopt=%s|wopt=%s|rate=%s|seed=%s|ring=%s|grid=%sx%s", s, w, sopt,
		 wopt, rate, seed, ring, cols, rows);
	snprintf(scene, CFG_LEN, "%s|wopt=%s|rate=%s|seed=%s", w, wopt, rate, seed);
	snprintf(label, lablen, "%s %s%s%s%s%s", s, w,
		 strcmp(sopt, "-") && *sopt ? " sopt=" : "", strcmp(sopt, "-") ? sopt : "",
		 strcmp(wopt, "-") && *wopt ? " wopt=" : "", strcmp(wopt, "-") ? wopt : "");
	return 0;
}

static void platform_of(const json_t *r, char *buf, size_t len)
{
	snprintf(buf, len, "%s, %s paging, %s", cmp_str(r, "platform.kvm.module"),
		 cmp_str(r, "platform.kvm.paging"), cmp_str(r, "platform.cpu_model"));
}

static struct entry *entry_new(struct set *s, const json_t *r, const char *cfg, const char *scene,
			       const char *label)
{
	struct entry *e;

	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 32;
		struct entry *grown = realloc(s->e, cap * sizeof(*s->e));

		if (!grown)
			return NULL;
		s->e = grown, s->cap = cap;
	}
	e = memset(&s->e[s->n++], 0, sizeof(*e));
	snprintf(e->cfg, sizeof(e->cfg), "%s", cfg);
	snprintf(e->scene, sizeof(e->scene), "%s", scene);
	snprintf(e->label, sizeof(e->label), "%s", label);
	snprintf(e->resolution, sizeof(e->resolution), "%s", cmp_str(r, "run.options.resolution"));
	snprintf(e->strategy, sizeof(e->strategy), "%s", cmp_str(r, "run.strategy"));
	snprintf(e->workload, sizeof(e->workload), "%s", cmp_str(r, "run.workload"));
	platform_of(r, e->platform, sizeof(e->platform));
	e->duration_s = cmp_num(r, "run.options.duration_s");
	return e;
}

static struct entry *entry_for(struct set *s, const json_t *r, const char *where)
{
	char cfg[CFG_LEN], scene[CFG_LEN], label[320];
	const char *res = cmp_str(r, "run.options.resolution");
	struct entry *e;

	if (entry_identity(r, where, cfg, scene, label, sizeof(label)))
		return NULL;
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->e[i].cfg, cfg) && !strcmp(s->e[i].resolution, res))
			return &s->e[i];
	e = entry_new(s, r, cfg, scene, label);
	if (!e)
		cmp_fail("out of memory");
	return e;
}

static int add_run(struct set *s, const json_t *r, const char *where)
{
	struct entry *e;
	char platform[320];

	if (cmp_check_run(r, where))
		return -1;
	e = entry_for(s, r, where);
	if (!e)
		return -1;
	platform_of(r, platform, sizeof(platform));
	if (strcmp(platform, e->platform))
		return cmp_fail("%s mixes platforms for %s: %s and %s", s->dir, e->label, e->platform,
				platform);
	if (e->nruns == MAX_RUNS)
		return cmp_fail("%s: more than %d runs of %s", where, MAX_RUNS, e->label);
	e->runs[e->nruns++] = r;
	e->nbusy += json_is_true(json_path(r, "regress.busy"));
	e->busy = e->nbusy == e->nruns;
	s->runs++;
	return 0;
}

/* A series: its runs, each a result. */
static int add_series(struct set *s, const json_t *doc, const char *file)
{
	const json_t *runs = json_object_get(doc, "runs");
	char where[4200], got[80];

	if (!json_is_array(runs))
		return cmp_fail("%s: 'runs' is %s, want an array of %s results", file,
				cmp_describe(runs, K_STRING, got, sizeof(got)), RESULT_SCHEMA);
	for (size_t i = 0; i < json_array_size(runs); i++) {
		snprintf(where, sizeof(where), "%s, run %zu", file, i);
		if (add_run(s, json_array_get(runs, i), where))
			return -1;
	}
	return 0;
}

/* A directory, a FIFO or an empty file named *.json is not a result. */
static int check_file(const char *file)
{
	struct stat st;

	if (stat(file, &st))
		return cmp_fail("%s: %s", file, strerror(errno));
	if (S_ISDIR(st.st_mode))
		return cmp_fail("%s: a directory, not a result file", file);
	if (!S_ISREG(st.st_mode))
		return cmp_fail("%s: not a regular file, not a result file", file);
	if (!st.st_size)
		return cmp_fail("%s: an empty file, not a result", file);
	return 0;
}

static int load_file(struct set *s, const char *file)
{
	json_error_t jerr;
	json_t *doc;
	const json_t *schema;
	char got[80];

	if (check_file(file))
		return -1;
	/* Duplicate keys: which one a reader takes is its own choice; refuse. */
	doc = json_load_file(file, JSON_REJECT_DUPLICATES, &jerr);
	if (!doc)
		return cmp_fail("%s: bad JSON: line %d: %s", file, jerr.line, jerr.text);
	json_array_append_new(s->docs, doc);
	s->files++;
	if (!json_is_object(doc))
		return cmp_fail("%s: schema mismatch: %s, not a result object", file,
				json_is_array(doc) ? "an array" : "a bare value");
	schema = json_object_get(doc, "schema");
	if (!json_is_string(schema))
		return cmp_fail("%s: schema mismatch: 'schema' is %s, want \"%s\" or \"%s\"", file,
				cmp_describe(schema, K_STRING, got, sizeof(got)), RESULT_SCHEMA, SERIES_SCHEMA);
	if (!strcmp(json_string_value(schema), RESULT_SCHEMA))
		return add_run(s, doc, file);
	if (!strcmp(json_string_value(schema), SERIES_SCHEMA))
		return add_series(s, doc, file);
	return cmp_fail("%s: schema mismatch: '%s' is neither %s nor %s", file,
			json_string_value(schema), RESULT_SCHEMA, SERIES_SCHEMA);
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool is_result_name(const char *name)
{
	size_t len = strlen(name);

	return len > 5 && !strcmp(name + len - 5, ".json") && name[0] != '.';
}

/* The *.json names in dir, sorted; *names is NULL-terminated. */
static int list_dir(const char *dir, char ***names, size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t cap = 0;

	*names = NULL, *n = 0;
	if (!d)
		return cmp_fail("%s: %s", dir, strerror(errno));
	while ((de = readdir(d))) {
		if (!is_result_name(de->d_name))
			continue;
		if (*n + 1 >= cap) {
			char **grown = realloc(*names, (cap = cap ? 2 * cap : 256) * sizeof(**names));

			if (!grown)
				break;
			*names = grown;
		}
		if (!((*names)[(*n)++] = strdup(de->d_name)))
			break;
	}
	closedir(d);
	if (de)
		return cmp_fail("%s: out of memory listing it", dir);
	if (*n)
		qsort(*names, *n, sizeof(**names), name_cmp);
	return 0;
}

int cmp_load_dir(struct set *s, const char *dir)
{
	char **names, path[4096];
	size_t n;
	int rc;

	s->dir = dir;
	s->docs = json_array();
	rc = list_dir(dir, &names, &n);
	for (size_t i = 0; i < n; i++) {
		if (!rc && (size_t)snprintf(path, sizeof(path), "%s/%s", dir, names[i]) >= sizeof(path))
			rc = cmp_fail("%s/%s: path too long", dir, names[i]);
		if (!rc)
			rc = load_file(s, path);
		free(names[i]);
	}
	free(names);
	if (!rc && !s->files)
		return cmp_fail("%s: no result files (*.json)", dir);
	if (!rc && !s->runs)
		return cmp_fail("%s: %zu result files, but not one run in them", dir, s->files);
	return rc;
}

void cmp_set_free(struct set *s)
{
	json_decref(s->docs);
	free(s->e);
}
