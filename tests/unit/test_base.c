/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_base.c - err, buf, json escaping and strutil.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>

#include "tap.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/json_write.h"
#include "util/strutil.h"

TAP_TEST(test_err)
{
	struct fl_err err;

	fl_err_clear(&err);
	is_long(err.code, FL_ERR_NONE, "cleared");
	is_long(fl_err_set(&err, FL_ERR_CONFIG, "bad %s", "key"), -1,
	        "set returns -1");
	is_str(err.msg, "bad key", "message formatted");
	fl_err_prefix(&err, "loading %s", "flusso.yml");
	is_str(err.msg, "loading flusso.yml: bad key", "prefix prepends");
	errno = ENOENT;
	fl_err_sys(&err, FL_ERR_IO, "open x");
	has_str(err.msg, "open x: ", "sys keeps the message");
	is_long(err.sys_errno, ENOENT, "sys records errno");
	is_long(fl_err_set(NULL, FL_ERR_IO, "x"), -1, "NULL err is fine");
}

TAP_TEST(test_err_truncates)
{
	struct fl_err err;
	char big[2000];

	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	fl_err_set(&err, FL_ERR_IO, "%s", big);
	is_long((long)strlen(err.msg), FL_ERR_MSG_MAX - 1, "cut at the cap");
	fl_err_prefix(&err, "%s", big);
	is_long((long)strlen(err.msg), FL_ERR_MSG_MAX - 1, "prefix too");
}

TAP_TEST(test_buf)
{
	struct fl_buf b;
	char *s;

	fl_buf_init(&b, 8);
	is_str(fl_buf_str(&b), "", "empty buffer is \"\"");
	is_long(fl_buf_puts(&b, "abcd"), 0, "append within cap");
	is_long(fl_buf_printf(&b, "%d", 1234), 0, "printf within cap");
	is_long(fl_buf_putc(&b, 'x'), -1, "cap enforced");
	is_str(fl_buf_str(&b), "abcd1234", "unchanged after refusal");
	is_long(fl_buf_printf(&b, "%s", "y"), -1, "printf cap enforced");
	s = fl_buf_steal(&b);
	is_str(s, "abcd1234", "steal hands over");
	is_long((long)b.len, 0, "reset after steal");
	free(s);
	fl_buf_done(&b);
}

TAP_TEST(test_json_escape)
{
	struct fl_buf b;

	fl_buf_init(&b, 1024);
	fl_json_put_string(&b, "a\"b\\c\n\x01\xc3\xa9");
	is_str(fl_buf_str(&b), "\"a\\\"b\\\\c\\u000a\\u0001\xc3\xa9\"",
	       "canonical escaping");
	fl_buf_done(&b);
}

TAP_TEST(test_strutil)
{
	static const char *const keys[] = { "required", "column", NULL,
		                            "transforms" };
	int on = -1;
	long v = 0;

	is_long(fl_str_distance("kitten", "sitting"), 3, "distance");
	is_long(fl_str_distance("", "abc"), 3, "distance to empty");
	is_str(fl_str_suggest("requierd", keys, 4, 2), "required",
	       "suggests a near key");
	ok(fl_str_suggest("zzzzzz", keys, 4, 2) == NULL, "no far suggestion");
	ok(fl_str_suggest("column", keys, 4, 2) == NULL,
	   "exact match is not a suggestion");
	ok(fl_str_parse_bool("TRUE", &on) == 0 && on == 1, "TRUE");
	ok(fl_str_parse_bool("0", &on) == 0 && on == 0, "0");
	ok(fl_str_parse_bool("yes", &on) == -1, "yes is not a bool");
	ok(fl_str_parse_long("42", 1, 100, &v) == 0 && v == 42, "in range");
	is_long(fl_str_parse_long("0", 1, 100, &v), -2, "below range");
	is_long(fl_str_parse_long("12x", 1, 100, &v), -1, "trailing junk");
	is_long(fl_str_parse_long("", 1, 100, &v), -1, "empty");
	is_long(fl_str_parse_long(" 1", 1, 100, &v), -1, "leading space");
	is_long(fl_str_parse_long("99999999999999999999", 1, LONG_MAX, &v), -2,
	        "overflow is out of range");
}

int
main(void)
{
	tap_run(test_err);
	tap_run(test_err_truncates);
	tap_run(test_buf);
	tap_run(test_json_escape);
	tap_run(test_strutil);
	return tap_done();
}
