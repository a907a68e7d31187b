/*
 * Typed option tables, for strategies (--sopt) and policies (--popt): the
 * owner's table, checked once, and "key=value,..." parsed against it
 * (core/option_table.c). The types keep their first owner's name.
 */
#ifndef DIRTYBENCH_OPTION_TABLE_H
#define DIRTYBENCH_OPTION_TABLE_H

#include <stddef.h>

enum strategy_option_type {
	STRATEGY_OPT_INT,       /* a decimal integer in [min, max] */
	STRATEGY_OPT_ENUM,      /* one of values */
	STRATEGY_OPT_BOOL,      /* 0 or 1 */
	STRATEGY_OPT_STRING,    /* any text up to STRATEGY_OPT_STRING_MAX - 1 bytes */
};

#define STRATEGY_OPT_STRING_MAX 64

/* One option a strategy takes with --sopt; a table ends with a NULL name.
 * The default is written as on the command line and passes the same check
 * as a value given there (strategy_ops_validate checks it). */
struct strategy_option_spec {
	const char *name;
	enum strategy_option_type type;
	const char *def;
	long min, max;                  /* STRATEGY_OPT_INT */
	const char *const *values;      /* STRATEGY_OPT_ENUM: NULL-terminated */
	const char *help;
};

#define STRATEGY_MAX_OPTIONS 8

/* The value of options[i], default or given. */
struct strategy_option_value {
	long num;                       /* INT and BOOL; ENUM: the index in values */
	char text[STRATEGY_OPT_STRING_MAX];     /* as written (every type) */
};

/* Whose table: "strategy" or "policy", its name, the flag that sets it. */
struct option_owner {
	const char *kind;
	const char *name;
	const char *flag;
	const struct strategy_option_spec *options;
};

const char *strategy_option_type_name(enum strategy_option_type type);
/* The table itself: names unique, types known, enums with values, defaults
 * that pass their own check; -1 with one line in err. */
int option_table_validate(const struct option_owner *owner, char *err, size_t len);
/* Defaults first, then "k=v,..." (NULL: none) into opt[STRATEGY_MAX_OPTIONS];
 * an unknown key, a malformed value or one out of range: -1 with one line.
 * A key given twice: the last wins. */
int option_table_parse(const struct option_owner *owner, const char *options,
		       struct strategy_option_value *opt, char *err, size_t len);
/* The index of name in the table, or -1. */
int option_table_index(const struct option_owner *owner, const char *name);

#endif
