/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_publication.c - the pure parts of publication coverage and the
 * database check: the required table set of the enabled indexes
 * (sorted, unique, junctions, nested targets, disabled indexes left
 * out), the remediation SQL byte for byte (source.md §18.1) with
 * identifier quoting, the §15.3 type acceptance table, and the
 * connection helpers that must never leak a password. No PostgreSQL
 * is needed (a connection attempt goes to a closed local port).
 */
#include <stdlib.h>
#include <string.h>

#include "source/pg_check.h"
#include "source/pg_conn.h"
#include "source/publication.h"
#include "tap.h"
#include "util/xmem.h"

static struct fl_schema *
t_schema(const char *yaml)
{
	struct fl_diags d;
	struct fl_schema *s;

	fl_diags_init(&d);
	s = fl_schema_load_mem(yaml, strlen(yaml), "t.schema.yml", &d);
	if (!s) {
		size_t i;

		for (i = 0; i < d.n; i++) {
			char *m = fl_diag_format(&d.v[i]);

			printf("# %s\n", m);
			free(m);
		}
	}
	fl_diags_done(&d);
	return s;
}

/* The set as "s.t s.t ..." (caller frees). */
static char *
t_joined(const struct fl_qtables *t)
{
	struct fl_buf b;
	size_t i;

	fl_buf_init(&b, 1 << 16);
	for (i = 0; i < t->n; i++)
		fl_buf_printf(&b, "%s%s.%s", i ? " " : "", t->v[i].schema,
		              t->v[i].table);
	return fl_buf_steal(&b);
}

static const char books_yml[] =
    "version: 1\n"
    "table: books\n"
    "primary_key: id\n"
    "fields:\n"
    "  - long: id\n"
    "    required: true\n"
    "  - has_many: reviews\n"
    "    table: reviews\n"
    "    foreign_key: book_id\n"
    "    primary_key: id\n"
    "    fields:\n"
    "      - belongs_to: author\n"
    "        table: users\n"
    "        column: user_id\n"
    "        primary_key: id\n"
    "        fields:\n"
    "          - object: meta\n"
    "            fields:\n"
    "              - has_one: avatar\n"
    "                table: avatars\n"
    "                foreign_key: user_id\n"
    "                primary_key: id\n"
    "                fields: []\n"
    "  - many_to_many: tags\n"
    "    table: tags\n"
    "    through: {table: book_tags, left_key: book_id, right_key: tag_id}\n"
    "    primary_key: id\n"
    "    fields: []\n"
    "  - count: reviewCount\n"
    "    table: reviews\n"
    "    foreign_key: book_id\n"
    "  - ids: shelfIds\n"
    "    table: shelves\n"
    "    through: {table: shelf_books, left_key: book_id, right_key: "
    "shelf_id}\n"
    "    element_type: long\n";

static const char authors_yml[] = "version: 1\n"
                                  "schema: lib\n"
                                  "table: authors\n"
                                  "fields:\n"
                                  "  - keyword: name\n"
                                  "    required: true\n";

static const char hidden_yml[] = "version: 1\n"
                                 "table: zz_hidden\n"
                                 "primary_key: id\n"
                                 "fields:\n"
                                 "  - has_many: secrets\n"
                                 "    table: aa_secret\n"
                                 "    foreign_key: hidden_id\n"
                                 "    primary_key: id\n"
                                 "    fields: []\n";

TAP_TEST(test_required_schema)
{
	struct fl_schema *s = t_schema(books_yml);
	struct fl_qtables t;
	char *got;

	if (!ok(s != NULL, "books schema loads"))
		return;
	fl_publication_tables_init(&t);
	fl_publication_required_schema(s, &t);
	is_long((long)t.n, 9, "unsorted: every use, reviews twice");
	fl_publication_tables_sort(&t);
	got = t_joined(&t);
	is_str(got,
	       "public.avatars public.book_tags public.books public.reviews "
	       "public.shelf_books public.shelves public.tags public.users",
	       "sorted, unique, junctions and nested targets included");
	is_long(fl_publication_tables_find(&t, "public", "reviews"), 3,
	        "find a member");
	is_long(fl_publication_tables_find(&t, "public", "nope"), -1,
	        "find a non-member");
	is_long(fl_publication_tables_find(&t, "lib", "reviews"), -1,
	        "the schema is part of the name");
	free(got);
	fl_publication_tables_done(&t);
	fl_schema_free(s);
}

TAP_TEST(test_required_config)
{
	struct fl_index_cfg ix[3];
	struct fl_config c;
	struct fl_qtables t;
	char *got;

	memset(&c, 0, sizeof(c));
	memset(ix, 0, sizeof(ix));
	ix[0].name = (char *)(uintptr_t) "authors";
	ix[0].enabled = 1;
	ix[0].schema = t_schema(authors_yml);
	ix[1].name = (char *)(uintptr_t) "books";
	ix[1].enabled = 1;
	ix[1].schema = t_schema(books_yml);
	ix[2].name = (char *)(uintptr_t) "hidden";
	ix[2].enabled = 0;
	ix[2].schema = t_schema(hidden_yml);
	if (!ok(ix[0].schema && ix[1].schema && ix[2].schema, "schemas load"))
		goto out;
	c.indexes = ix;
	c.nindexes = 3;
	fl_publication_tables_init(&t);
	fl_publication_required(&c, &t);
	got = t_joined(&t);
	is_str(got,
	       "lib.authors public.avatars public.book_tags public.books "
	       "public.reviews public.shelf_books public.shelves public.tags "
	       "public.users",
	       "two indexes, one sorted set; the disabled index is left out");
	free(got);
	fl_publication_tables_done(&t);
out:
	fl_schema_free(ix[0].schema);
	fl_schema_free(ix[1].schema);
	fl_schema_free(ix[2].schema);
}

TAP_TEST(test_sql)
{
	struct fl_qtables t;
	char *sql;

	fl_publication_tables_init(&t);
	ok(fl_publication_sql_cover("flusso", 0, &t, 0) == NULL,
	   "nothing to add: no statement");
	fl_publication_tables_add(&t, "public", "reviews");
	fl_publication_tables_add(&t, "public", "books");
	fl_publication_tables_sort(&t);
	sql = fl_publication_sql_cover("flusso", 0, &t, 0);
	is_str(sql,
	       "CREATE PUBLICATION \"flusso\" FOR TABLE \"public\".\"books\", "
	       "\"public\".\"reviews\";",
	       "CREATE PUBLICATION, byte for byte");
	free(sql);
	sql = fl_publication_sql_cover("flusso", 0, &t, 1);
	is_str(sql,
	       "CREATE PUBLICATION \"flusso\" FOR TABLE \"public\".\"books\", "
	       "\"public\".\"reviews\" WITH (publish_via_partition_root = "
	       "true);",
	       "CREATE with a partitioned table: via partition root");
	free(sql);
	fl_publication_tables_done(&t);
	fl_publication_tables_add(&t, "public", "orders");
	sql = fl_publication_sql_cover("flusso", 1, &t, 1);
	is_str(sql,
	       "ALTER PUBLICATION \"flusso\" ADD TABLE \"public\".\"orders\";",
	       "ALTER PUBLICATION, byte for byte (no WITH on ALTER)");
	free(sql);
	fl_publication_tables_done(&t);
	fl_publication_tables_add(&t, "my\"schema", "we\"ird\"");
	sql = fl_publication_sql_cover("pub\"x", 1, &t, 0);
	is_str(sql,
	       "ALTER PUBLICATION \"pub\"\"x\" ADD TABLE "
	       "\"my\"\"schema\".\"we\"\"ird\"\"\";",
	       "embedded double quotes are doubled");
	free(sql);
	fl_publication_tables_done(&t);
	sql = fl_publication_sql_publish("flusso");
	is_str(sql,
	       "ALTER PUBLICATION \"flusso\" SET (publish = 'insert, update, "
	       "delete, truncate');",
	       "publish flags remediation");
	free(sql);
	sql = fl_publication_sql_via_root("flusso");
	is_str(sql,
	       "ALTER PUBLICATION \"flusso\" SET (publish_via_partition_root = "
	       "true);",
	       "partition root remediation");
	free(sql);
}

TAP_TEST(test_types)
{
	char *custom[] = { (char *)(uintptr_t) "numeric",
		           (char *)(uintptr_t) "citext" };

	ok(fl_check_db_type_ok(FL_T_KEYWORD, "character varying(255)", 0, NULL,
	                       0),
	   "varchar(255) is a keyword");
	ok(fl_check_db_type_ok(FL_T_TEXT, "character(3)", 0, NULL, 0),
	   "character(3) is text");
	ok(fl_check_db_type_ok(FL_T_INTEGER, "integer[]", 0, NULL, 0),
	   "arrays are accepted for the element type");
	ok(fl_check_db_type_ok(FL_T_DECIMAL, "numeric(10,2)", 0, NULL, 0),
	   "numeric(10,2) is a decimal");
	ok(fl_check_db_type_ok(FL_T_TIMESTAMP, "timestamp(3) with time zone", 0,
	                       NULL, 0),
	   "timestamp(3) with time zone is a timestamp");
	ok(fl_check_db_type_ok(FL_T_TIMESTAMP, "time without time zone", 0,
	                       NULL, 0),
	   "time is accepted for timestamp (a warning elsewhere)");
	ok(!fl_check_db_type_ok(FL_T_LONG, "integer", 0, NULL, 0),
	   "integer is not a long");
	ok(!fl_check_db_type_ok(FL_T_KEYWORD, "integer", 0, NULL, 0),
	   "integer is not a keyword");
	ok(fl_check_db_type_ok(FL_T_ENUM, "mood", 1, NULL, 0),
	   "a native enum type is an enum");
	ok(!fl_check_db_type_ok(FL_T_ENUM, "mood", 0, NULL, 0),
	   "an unknown type is not an enum");
	ok(!fl_check_db_type_ok(FL_T_KEYWORD, "mood", 1, NULL, 0),
	   "a native enum is accepted for `enum` only");
	ok(fl_check_db_type_ok(FL_T_CUSTOM, "numeric(12,2)", 0, custom, 2),
	   "custom: its own list, normalised");
	ok(fl_check_db_type_ok(FL_T_CUSTOM, "public.citext", 0, custom, 2),
	   "custom: a schema-qualified name matches");
	ok(!fl_check_db_type_ok(FL_T_CUSTOM, "text", 0, custom, 2),
	   "custom: anything else is refused");
	ok(fl_check_db_type_ok(FL_T_GEO_POINT, "jsonb", 0, NULL, 0) &&
	       fl_check_db_type_ok(FL_T_GEO_POINT, "text", 0, NULL, 0),
	   "single-column geo: json or text");
	ok(!fl_check_db_type_ok(FL_T_GEO_POINT, "point", 0, NULL, 0),
	   "single-column geo: not point");
	ok(fl_check_db_type_ok(FL_T_MAP, "json", 0, NULL, 0) &&
	       !fl_check_db_type_ok(FL_T_MAP, "text", 0, NULL, 0),
	   "map: json only");
	ok(fl_check_db_type_ok(FL_T_DOUBLE, "double precision", 0, NULL, 0),
	   "double precision is a double");
	ok(fl_check_db_type_ok(FL_T_BINARY, "bytea", 0, NULL, 0),
	   "bytea is binary");
}

TAP_TEST(test_pgconn_text)
{
	const char *items[] = { "public", "we\"ird", "back\\slash" };
	struct fl_buf b;
	char *d;

	fl_buf_init(&b, 4096);
	fl_pgconn_put_array(&b, items, 3);
	is_str(fl_buf_str(&b), "{\"public\",\"we\\\"ird\",\"back\\\\slash\"}",
	       "text array literal quoting");
	fl_buf_reset(&b);
	fl_pgconn_put_qualified(&b, "s", "a\"b");
	is_str(fl_buf_str(&b), "\"s\".\"a\"\"b\"", "qualified identifier");
	fl_buf_done(&b);
	d = fl_pgconn_describe(
	    "postgresql://ada:s3cret-pw@db.example:6543/shop?sslmode=require");
	is_str(d, "ada@db.example:6543/shop", "describe a URL");
	free(d);
	d = fl_pgconn_describe("host=/tmp/sock user=bob password='p w' "
	                       "dbname=x");
	is_str(d, "bob@/tmp/sock/x", "describe keyword form");
	free(d);
}

TAP_TEST(test_pgconn_redaction)
{
	struct fl_err err;
	PGconn *c;

	fl_err_clear(&err);
	c = fl_pgconn_open("postgresql://ada:pw-%zz-oops@127.0.0.1:1/x",
	                   "flusso", 0, &err);
	ok(c == NULL, "an unparsable URL does not connect");
	has_str(err.msg, "invalid connection string", "says why");
	ok(strstr(err.msg, "pw-%zz-oops") == NULL,
	   "the password is not in the message");
	fl_err_clear(&err);
	c = fl_pgconn_open("host=127.0.0.1 port=1 user=ada password=Zq9-pw "
	                   "dbname=x connect_timeout=2",
	                   "flusso", 0, &err);
	ok(c == NULL, "a closed port does not connect");
	has_str(err.msg, "could not connect to ada@127.0.0.1:1/x",
	        "names the target");
	ok(strstr(err.msg, "Zq9-pw") == NULL,
	   "the password is not in the message");
	is_long(err.code, FL_ERR_PG, "a PostgreSQL error");
	PQfinish(c);
}

int
main(void)
{
	tap_run(test_required_schema);
	tap_run(test_required_config);
	tap_run(test_sql);
	tap_run(test_types);
	tap_run(test_pgconn_text);
	tap_run(test_pgconn_redaction);
	return tap_done();
}
