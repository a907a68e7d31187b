/* Dotted paths into JSON; see json_path.h. */
#include <string.h>

#include "core/json_path.h"

const json_t *json_path(const json_t *root, const char *path)
{
	const json_t *v = root;

	while (v && *path) {
		const char *dot = strchr(path, '.');
		size_t len = dot ? (size_t)(dot - path) : strlen(path);

		v = json_is_object(v) ? json_object_getn(v, path, len) : NULL;
		path += len + (dot != NULL);
	}
	return v;
}

double json_path_num(const json_t *root, const char *path, double missing)
{
	const json_t *v = json_path(root, path);

	return json_is_number(v) ? json_number_value(v) : missing;
}
