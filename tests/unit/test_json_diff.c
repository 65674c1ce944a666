/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test_json_diff.c - paths and kinds of util/json_diff.c. */
#include <stdio.h>
#include <string.h>

#include "tap.h"
#include "util/json_diff.h"

struct seen {
	char paths[16][96];
	enum fl_jdiff_kind kinds[16];
	int n;
};

static int
collect(void *arg, const struct fl_jdiff *d)
{
	struct seen *s = arg;

	if (s->n < 16) {
		snprintf(s->paths[s->n], sizeof(s->paths[0]), "%s", d->path);
		s->kinds[s->n] = d->kind;
		s->n++;
	}
	return 0;
}

static size_t
diff(const char *a, const char *b, struct seen *s)
{
	cJSON *x = cJSON_Parse(a), *y = cJSON_Parse(b);
	size_t n;

	memset(s, 0, sizeof(*s));
	n = fl_jdiff(x, y, collect, s);
	cJSON_Delete(x);
	cJSON_Delete(y);
	return n;
}

int
main(void)
{
	struct seen s;
	char first[64], v[16];
	cJSON *a, *b;

	ok(diff("{\"a\":1,\"b\":[1,2]}", "{\"b\":[1,2],\"a\":1}", &s) == 0,
	   "equal documents, any key order");
	ok(diff("{\"orders\":[{\"items\":[{\"q\":1}]},{\"items\":[{\"q\":1},"
	        "{\"q\":2}]}]}",
	        "{\"orders\":[{\"items\":[{\"q\":1}]},{\"items\":[{\"q\":1},"
	        "{\"q\":3}]}]}",
	        &s) == 1,
	   "one nested difference");
	ok(strcmp(s.paths[0], "orders[1].items[1].q") == 0 &&
	       s.kinds[0] == FL_JDIFF_CHANGED,
	   "named orders[1].items[1].q");
	ok(diff("{\"c\":{\"email\":\"a\"}}", "{\"c\":{\"email\":\"b\"}}", &s) ==
	           1 &&
	       strcmp(s.paths[0], "c.email") == 0,
	   "object member path c.email");
	ok(diff("{\"a\":1,\"b\":2}", "{\"a\":1}", &s) == 1 &&
	       s.kinds[0] == FL_JDIFF_MISSING && strcmp(s.paths[0], "b") == 0,
	   "missing member");
	ok(diff("{\"a\":1}", "{\"a\":1,\"z\":{\"y\":1}}", &s) == 1 &&
	       s.kinds[0] == FL_JDIFF_EXTRA && strcmp(s.paths[0], "z") == 0,
	   "extra member is one difference");
	ok(diff("{\"t\":[1,2,3]}", "{\"t\":[1,2]}", &s) == 1 &&
	       strcmp(s.paths[0], "t[2]") == 0 &&
	       s.kinds[0] == FL_JDIFF_MISSING,
	   "shorter array: t[2] missing");
	ok(diff("{\"t\":[1]}", "{\"t\":[1,5]}", &s) == 1 &&
	       strcmp(s.paths[0], "t[1]") == 0 && s.kinds[0] == FL_JDIFF_EXTRA,
	   "longer array: t[1] extra");
	ok(diff("{\"p\":\"1.50\"}", "{\"p\":1.5}", &s) == 1 &&
	       strcmp(s.paths[0], "p") == 0,
	   "type change is a difference");
	ok(diff("{\"n\":null}", "{\"n\":0}", &s) == 1, "null vs 0");
	ok(diff("{\"a\":1,\"b\":2,\"c\":3}", "{\"a\":0,\"b\":0,\"c\":3}", &s) ==
	           2 &&
	       strcmp(s.paths[1], "b") == 0,
	   "every difference reported, in order");
	ok(diff("[1]", "{\"a\":1}", &s) == 1 && s.paths[0][0] == '\0',
	   "root of different types: path is empty");
	a = cJSON_Parse("{\"x\":{\"y\":[0,{\"z\":true}]}}");
	b = cJSON_Parse("{\"x\":{\"y\":[0,{\"z\":false}]}}");
	ok(fl_jdiff_first(a, b, first, sizeof(first)) == 1 &&
	       strcmp(first, "x.y[1].z") == 0,
	   "first difference x.y[1].z");
	ok(fl_jdiff_first(a, a, first, sizeof(first)) == 0 && !first[0],
	   "first of equal: none");
	fl_jdiff_value(cJSON_GetObjectItem(a, "x"), v, sizeof(v));
	ok(strlen(v) < sizeof(v) && strstr(v, "...") != NULL,
	   "long values are cut with ...");
	fl_jdiff_value(NULL, v, sizeof(v));
	ok(strcmp(v, "(absent)") == 0, "absent value");
	cJSON_Delete(a);
	cJSON_Delete(b);
	return tap_done();
}
