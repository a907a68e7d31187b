/* The result schema (results/SCHEMA.md) as code: what every result must hold. */
#ifndef DIRTYBENCH_SCHEMA_H
#define DIRTYBENCH_SCHEMA_H

#include <jansson.h>
#include <stddef.h>

#include "core/schema_field.h"

/* 0 when r has every required member with the right type; -1 and the first
 * problem in err otherwise. */
int schema_check(const json_t *r, char *err, size_t errlen);
/* The same for one list of fields (a collector's own checks). */
int schema_check_fields(const json_t *r, const struct schema_field *f, char *err, size_t errlen);

#endif
