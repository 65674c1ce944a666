/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_log.c - the log module's filter (issue 17): parsing and its
 * errors, the canonical form, fl_log_trace_wants() matching, debug
 * records narrowed to those naming a term, warnings never filtered; and
 * the level read live (trace records appear as soon as it changes).
 */
#include <stdio.h>
#include <string.h>

#include "tap.h"
#include "util/log.h"

static char t_got[4096];
static int t_records;

/* Collects records while installed. */
static void
t_hook(void *arg, enum fl_log_level level, const char *component,
       const char *msg)
{
	size_t len = strlen(t_got);

	(void)arg;
	t_records++;
	snprintf(t_got + len, sizeof(t_got) - len, "%s %s: %s\n",
	         fl_log_level_name(level), component, msg);
}

static void
t_reset(void)
{
	t_got[0] = '\0';
	t_records = 0;
}

/* fl_log_set_filter(spec) fails naming `part`; the filter is kept. */
static void
t_bad(const char *spec, const char *part)
{
	struct fl_err err;
	char before[256], after[256];

	fl_log_get_filter(before, sizeof(before));
	fl_err_clear(&err);
	if (!is_long(fl_log_set_filter(spec, &err), -1, "refused"))
		diag("spec: %s", spec);
	is_long(err.code, FL_ERR_INVALID, "FL_ERR_INVALID");
	has_str(err.msg, part, "the error names the bad part");
	fl_log_get_filter(after, sizeof(after));
	is_str(after, before, "the filter is unchanged");
}

TAP_TEST(test_filter_parse)
{
	struct fl_err err;
	char got[256];

	fl_err_clear(&err);
	is_long(fl_log_set_filter("index=users", &err), 0, "one index");
	fl_log_get_filter(got, sizeof(got));
	is_str(got, "index=users", "canonical form");
	is_long(fl_log_set_filter(" index=Users , table=public.Orders,"
	                          "table=items",
	                          &err),
	        0, "several, spaces, upper case");
	fl_log_get_filter(got, sizeof(got));
	is_str(got, "index=users,table=public.orders,table=items",
	       "trimmed, lower case, in order");
	is_long(fl_log_set_filter("INDEX=a", &err), 0, "kind case-insensitive");
	t_bad("idx=users", "unknown kind 'idx'");
	t_bad("users", "'users': expected index=NAME or table=NAME");
	t_bad("index=", "'index=': the name is empty");
	t_bad("index=a,,table=b", "an empty term");
	t_bad("index=a,", "an empty term");
	t_bad(",index=a", "an empty term");
	t_bad("index=us.ers", "'us.ers' is not an index name");
	t_bad("table=a.b.c", "'a.b.c' is not a table name");
	t_bad("table=.orders", "is not a table name");
	t_bad("table=orders.", "is not a table name");
	t_bad("index=9lives", "is not an index name");
	t_bad("index=a b", "is not an index name");
	t_bad("index=a=b", "is not an index name");
	is_long(fl_log_set_filter("", &err), 0, "empty clears");
	fl_log_get_filter(got, sizeof(got));
	is_str(got, "", "no filter");
	is_long(fl_log_set_filter(NULL, &err), 0, "NULL clears");
}

TAP_TEST(test_filter_match)
{
	struct fl_err err;

	is_long(fl_log_set_filter(NULL, &err), 0, "cleared");
	ok(fl_log_trace_wants("users", NULL), "no filter: an index");
	ok(fl_log_trace_wants(NULL, "public.orders"), "no filter: a table");
	ok(fl_log_trace_wants(NULL, NULL), "no filter: anything");

	is_long(fl_log_set_filter("index=orders", &err), 0, "index=orders");
	ok(fl_log_trace_wants("orders", NULL), "the index");
	ok(!fl_log_trace_wants("users", NULL), "another index");
	ok(!fl_log_trace_wants("orders_v2", NULL), "not a prefix match");
	ok(!fl_log_trace_wants(NULL, "public.orders"),
	   "a table of the same name is not the index");
	ok(fl_log_trace_wants("orders", "public.users"),
	   "index or table: the index decides");
	ok(!fl_log_trace_wants(NULL, NULL), "about nothing: filtered");

	is_long(fl_log_set_filter("table=orders", &err), 0, "table=orders");
	ok(fl_log_trace_wants(NULL, "public.orders"), "any schema");
	ok(fl_log_trace_wants(NULL, "sales.orders"), "another schema");
	ok(fl_log_trace_wants(NULL, "orders"), "unqualified");
	ok(!fl_log_trace_wants(NULL, "public.order_items"), "another table");
	ok(!fl_log_trace_wants("orders", NULL), "an index of the same name");
	ok(fl_log_trace_wants("users", "public.orders"),
	   "a record of another index about the table");

	is_long(fl_log_set_filter("table=sales.orders,index=users", &err), 0,
	        "qualified table and an index");
	ok(fl_log_trace_wants(NULL, "sales.orders"), "that schema");
	ok(!fl_log_trace_wants(NULL, "public.orders"), "not another schema");
	ok(fl_log_trace_wants(NULL, "orders"), "an unqualified name");
	ok(fl_log_trace_wants("users", NULL), "the index term");
	ok(!fl_log_trace_wants("products", "public.products"), "neither");
	is_long(fl_log_set_filter(NULL, &err), 0, "cleared");
}

/* Debug records pass when they name a term; info and above always. */
TAP_TEST(test_filter_records)
{
	struct fl_err err;

	fl_log_set_hook(t_hook, NULL);
	fl_log_set_level(FL_LOG_DEBUG);
	is_long(fl_log_set_filter("index=users,table=public.orders", &err), 0,
	        "filter set");
	t_reset();
	fl_log_debug("engine", "index users: seeded");
	fl_log_debug("engine", "index products: seeded");
	fl_log_debug("engine", "index superusers: seeded");
	fl_log_debug("capture", "table orders: column gone");
	fl_log_debug("worker", "live batch of 3 items");
	fl_log_warn("engine", "index products: slow");
	fl_log_error("engine", "index products: failed");
	fl_log_info("engine", "index products: live");
	has_str(t_got, "debug engine: index users: seeded", "names the index");
	has_str(t_got, "debug capture: table orders: column gone",
	        "names the table (without its schema)");
	ok(!strstr(t_got, "products: seeded"), "another index: filtered");
	ok(!strstr(t_got, "superusers"), "a longer word does not match");
	ok(!strstr(t_got, "live batch"), "naming nothing: filtered");
	has_str(t_got, "warn engine: index products: slow", "warnings pass");
	has_str(t_got, "error engine: index products: failed", "errors pass");
	has_str(t_got, "info engine: index products: live", "info passes");
	is_long(t_records, 5, "five records");
	is_long(fl_log_set_filter(NULL, &err), 0, "cleared");
	t_reset();
	fl_log_debug("worker", "live batch of 3 items");
	is_long(t_records, 1, "no filter: every debug record");
	fl_log_set_hook(NULL, NULL);
	fl_log_set_level(FL_LOG_INFO);
}

/* The level is read at every call: a change takes effect at once. */
TAP_TEST(test_level_live)
{
	fl_log_set_hook(t_hook, NULL);
	fl_log_set_level(FL_LOG_INFO);
	t_reset();
	ok(!fl_log_enabled(FL_LOG_TRACE), "trace off at info");
	ok(!fl_log_enabled(FL_LOG_DEBUG), "debug off at info");
	ok(fl_log_enabled(FL_LOG_INFO), "info on");
	fl_log_trace("capture", "received lsn=0/1");
	is_long(t_records, 0, "a trace record at info: nothing");
	fl_log_set_level(FL_LOG_TRACE);
	ok(fl_log_enabled(FL_LOG_TRACE), "trace on");
	is_long(fl_log_get_level(), FL_LOG_TRACE, "read back");
	fl_log_trace("capture", "received lsn=0/2");
	has_str(t_got, "trace capture: received lsn=0/2",
	        "a trace record once the level changed");
	fl_log_set_level(FL_LOG_ERROR);
	ok(!fl_log_enabled(FL_LOG_WARN), "warn off at error");
	fl_log_set_hook(NULL, NULL);
	fl_log_set_level(FL_LOG_INFO);
}

int
main(void)
{
	tap_run(test_filter_parse);
	tap_run(test_filter_match);
	tap_run(test_filter_records);
	tap_run(test_level_live);
	return tap_done();
}
