/*
 * The options of a strategy (--sopt) or a policy (--popt): a table of
 * typed options with defaults and ranges, checked once (a default must pass
 * its own check), and a "key=value,..." string parsed strictly against it.
 * Every refusal is one line naming the owner ("strategy ptebits option
 * rearm=x: want ...", "policy qemu option ..."), and nothing is cut.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/option_table.h"
#include "include/compiler.h"

static int option_error(char *err, size_t len, const struct option_owner *who, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int option_error(char *err, size_t len, const struct option_owner *who, const char *fmt, ...)
{
	size_t n = (size_t)snprintf(err, len, "%s %s option ", who->kind, who->name);
	va_list ap;

	va_start(ap, fmt);
	if (n < len)
		vsnprintf(err + n, len - n, fmt, ap);
	va_end(ap);
	return -1;
}

const char *strategy_option_type_name(enum strategy_option_type type)
{
	static const char *const names[] = {
		[STRATEGY_OPT_INT] = "int", [STRATEGY_OPT_ENUM] = "enum",
		[STRATEGY_OPT_BOOL] = "bool", [STRATEGY_OPT_STRING] = "string",
	};

	return (unsigned)type < ARRAY_SIZE(names) ? names[type] : NULL;
}

/* "auto, mapping, tlb or none" */
static void enum_values_text(const struct strategy_option_spec *o, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = 0;
	for (size_t i = 0; o->values[i] && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, "%s%s", i == 0 ? "" : !o->values[i + 1] ? " or " : ", ",
				      o->values[i]);
}

static int option_integer(const struct option_owner *who, const struct strategy_option_spec *o, const char *text,
			  long *out, char *err, size_t len)
{
	bool is_bool = o->type == STRATEGY_OPT_BOOL;
	long min = is_bool ? 0 : o->min, max = is_bool ? 1 : o->max;
	char *end;

	errno = 0;
	*out = strtol(text, &end, 10);
	if (*text && !*end && !errno && *out >= min && *out <= max)
		return 0;
	if (is_bool)
		return option_error(err, len, who, "%s=%s: want 0 or 1", o->name, text);
	return option_error(err, len, who, "%s=%s: want an integer in %ld..%ld", o->name, text, min, max);
}

/* One value against its spec into v: 0, or -1 with one line in err. */
static int option_value(const struct option_owner *who, const struct strategy_option_spec *o, const char *text,
			struct strategy_option_value *v, char *err, size_t len)
{
	char choices[256];

	if (strlen(text) >= sizeof(v->text))
		return option_error(err, len, who, "%s: a value of at most %zu characters", o->name,
				    sizeof(v->text) - 1);
	snprintf(v->text, sizeof(v->text), "%s", text);
	v->num = 0;
	switch (o->type) {
	case STRATEGY_OPT_INT:
	case STRATEGY_OPT_BOOL:
		return option_integer(who, o, text, &v->num, err, len);
	case STRATEGY_OPT_ENUM:
		for (v->num = 0; o->values[v->num]; v->num++)
			if (!strcmp(o->values[v->num], text))
				return 0;
		enum_values_text(o, choices, sizeof(choices));
		return option_error(err, len, who, "%s=%s: want %s", o->name, text, choices);
	case STRATEGY_OPT_STRING:
		return 0;
	}
	return option_error(err, len, who, "%s: unknown type", o->name);
}

/* Option i's spec, or NULL past the end. */
static const struct strategy_option_spec *option_at(const struct option_owner *ops, size_t i)
{
	return ops->options && ops->options[i].name ? &ops->options[i] : NULL;
}

int option_table_index(const struct option_owner *ops, const char *name)
{
	for (size_t i = 0; option_at(ops, i); i++)
		if (!strcmp(ops->options[i].name, name))
			return (int)i;
	return -1;
}

/* The table itself: names unique, types known, enums with values, defaults
 * that pass their own check. */
int option_table_validate(const struct option_owner *ops, char *err, size_t len)
{
	struct strategy_option_value v;
	size_t i;

	for (i = 0; option_at(ops, i); i++) {
		const struct strategy_option_spec *o = &ops->options[i];

		if (i == STRATEGY_MAX_OPTIONS)
			return option_error(err, len, ops, "table: more than %d options", STRATEGY_MAX_OPTIONS);
		if (option_table_index(ops, o->name) != (int)i || !strategy_option_type_name(o->type) || !o->help ||
		    (o->type == STRATEGY_OPT_ENUM && (!o->values || !o->values[0])) ||
		    (o->type == STRATEGY_OPT_INT && o->min > o->max) || (o->type != STRATEGY_OPT_STRING && !o->def))
			return option_error(err, len, ops, "%s: malformed table entry", o->name);
		if (option_value(ops, o, o->def ? o->def : "", &v, err, len))
			return -1;
	}
	return 0;
}

static void option_names(const struct option_owner *ops, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = 0;
	for (size_t i = 0; option_at(ops, i) && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, "%s%s", i ? ", " : "", ops->options[i].name);
}

/* What a message quotes of a long item: its start, so the reason still fits. */
#define OPTION_QUOTED 40

static const char *option_quoted(const char *s, char buf[OPTION_QUOTED + 1])
{
	if (strlen(s) <= OPTION_QUOTED)
		return s;
	snprintf(buf, OPTION_QUOTED + 1, "%.*s...", OPTION_QUOTED - 3, s);
	return buf;
}

static int option_assign(const struct option_owner *ops, char *kv, struct strategy_option_value *opt,
			 char *err, size_t len)
{
	char *eq = strchr(kv, '='), names[256], quoted[OPTION_QUOTED + 1];
	int i;

	if (!eq || eq == kv)
		return option_error(err, len, ops, "'%s': want key=value", option_quoted(kv, quoted));
	*eq = 0;
	i = option_table_index(ops, kv);
	if (i >= 0)
		return option_value(ops, &ops->options[i], eq + 1, &opt[i], err, len);
	option_names(ops, names, sizeof(names));
	if (!*names)
		snprintf(err, len, "%s %s takes no options (%s %s=...)", ops->kind, ops->name, ops->flag, option_quoted(kv, quoted));
	else
		snprintf(err, len, "%s %s has no option '%s'; it takes: %s", ops->kind, ops->name,
			 option_quoted(kv, quoted), names);
	return -1;
}

/* The whole string, however long: nothing is cut (a value longer than its
 * STRATEGY_OPT_STRING_MAX - 1 characters is refused by option_value). */
int option_table_parse(const struct option_owner *ops, const char *options,
			   struct strategy_option_value *opt, char *err, size_t len)
{
	char *buf, *save = NULL;
	int status = 0;

	if (option_table_validate(ops, err, len))
		return -1;
	memset(opt, 0, STRATEGY_MAX_OPTIONS * sizeof(*opt));
	for (size_t i = 0; option_at(ops, i); i++)
		(void)option_value(ops, &ops->options[i], ops->options[i].def ? ops->options[i].def : "",
				   &opt[i], err, len);
	buf = strdup(options ? options : "");
	if (!buf) {
		snprintf(err, len, "%s %s: out of memory for %s", ops->kind, ops->name, ops->flag);
		return -1;
	}
	for (char *kv = strtok_r(buf, ",", &save); kv && !status; kv = strtok_r(NULL, ",", &save))
		status = option_assign(ops, kv, opt, err, len);
	free(buf);
	return status;
}

