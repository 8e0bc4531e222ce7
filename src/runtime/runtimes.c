/*
 * The table of inference runtimes.
 *
 * Adding a runtime = one new file in src/runtime/ defining a
 * `const struct gb_runtime_ops gb_runtime_<name>` + one row here. Rows
 * whose probe() fails are still listed by `greenbench devices` with the
 * reason.
 */
#include "greenbench/runtime.h"

#include <string.h>

extern const struct gb_runtime_ops gb_runtime_ort;
extern const struct gb_runtime_ops gb_runtime_torch;
extern const struct gb_runtime_ops gb_runtime_ort_python;

const struct gb_runtime_ops *const gb_runtime_table[] = {
	&gb_runtime_ort,
	&gb_runtime_torch,
	&gb_runtime_ort_python,
};

const size_t gb_runtime_table_len = sizeof gb_runtime_table / sizeof gb_runtime_table[0];

const struct gb_runtime_ops *gb_runtime_find(const char *name)
{
	for (size_t i = 0; i < gb_runtime_table_len; i++)
		if (gb_runtime_table[i] && !strcmp(gb_runtime_table[i]->name, name))
			return gb_runtime_table[i];
	return NULL;
}
