/* A required member of a result: its dotted path and JSON type. Core, each
 * back end and each collector declare their own (core/schema.c checks them). */
#ifndef DIRTYBENCH_SCHEMA_FIELD_H
#define DIRTYBENCH_SCHEMA_FIELD_H

enum schema_kind { SCHEMA_STR, SCHEMA_NUM, SCHEMA_NUM_OR_NULL, SCHEMA_INT, SCHEMA_BOOL, SCHEMA_OBJ,
		   SCHEMA_ARR, SCHEMA_HIST };

struct schema_field {
	const char *path;
	enum schema_kind kind;
};

/* Ends a list of fields. */
#define SCHEMA_END { 0, 0 }

#endif
