/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * fuzz_schema.c - libFuzzer entry: arbitrary bytes as a schema file. The
 * loader must never crash, leak or hang; diagnostics are fine.
 */
#include <stddef.h>
#include <stdint.h>

#include "config/mapping.h"
#include "config/schema.h"
#include "config/schema_hash.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fl_diags d;
	struct fl_schema *s;

	fl_diags_init(&d);
	s = fl_schema_load_mem((const char *)data, size, "fuzz.schema.yml", &d);
	if (s) {
		struct fl_mapping_opts o;
		struct fl_val *body;
		char hash[17];

		fl_mapping_opts_default(&o);
		body = fl_mapping_body(s, &o);
		fl_val_free(body);
		fl_hash_schema(s, hash);
	}
	fl_schema_free(s);
	fl_diags_done(&d);
	return 0;
}
