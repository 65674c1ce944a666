/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_services.c - the real services are there and usable: a query
 * through PostgreSQL (libpq) and a document round trip through OpenSearch
 * (libcurl): create an index, write a document, read it back by id,
 * delete the index.
 *
 * Needs FLUSSO_TEST_PG_URL and FLUSSO_TEST_OS_URL (tests/services.sh
 * env). Without them the test fails and says why: integration tests are
 * never skipped silently.
 */
#include <stdlib.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <libpq-fe.h>

#include "tap.h"
#include "util/buf.h"

static const char *
t_env(const char *name)
{
	const char *v = getenv(name);

	if (!v || !*v) {
		printf("# %s is not set: start the services with "
		       "tests/services.sh start and eval \"$(tests/services.sh "
		       "env)\"\n",
		       name);
		return NULL;
	}
	return v;
}

TAP_TEST(test_postgres)
{
	const char *url = t_env("FLUSSO_TEST_PG_URL");
	PGconn *conn;
	PGresult *res;

	if (!ok(url != NULL, "FLUSSO_TEST_PG_URL is set"))
		return;
	conn = PQconnectdb(url);
	if (!ok(PQstatus(conn) == CONNECTION_OK, "connects to PostgreSQL")) {
		printf("# %s", PQerrorMessage(conn));
		PQfinish(conn);
		return;
	}
	res = PQexec(conn, "SELECT 40 + 2, current_setting('wal_level'), "
	                   "current_setting('server_version_num')::int");
	if (ok(PQresultStatus(res) == PGRES_TUPLES_OK, "query runs")) {
		is_str(PQgetvalue(res, 0, 0), "42", "the server computes");
		is_str(PQgetvalue(res, 0, 1), "logical", "wal_level=logical");
		ok(strtol(PQgetvalue(res, 0, 2), NULL, 10) >= 150000,
		   "PostgreSQL >= 15");
	} else {
		printf("# %s", PQerrorMessage(conn));
	}
	PQclear(res);
	PQfinish(conn);
}

static size_t
t_collect(char *p, size_t size, size_t n, void *arg)
{
	return fl_buf_append(arg, p, size * n) == 0 ? size * n : 0;
}

/* One HTTP call; returns the status (0 on transport failure). */
static long
t_http(CURL *c, const char *method, const char *url, const char *body,
       struct fl_buf *out)
{
	struct curl_slist *hdr = NULL;
	long status = 0;
	CURLcode rc;

	fl_buf_reset(out);
	hdr = curl_slist_append(hdr, "Content-Type: application/json");
	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, t_collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	if (body)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	rc = curl_easy_perform(c);
	if (rc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	else
		printf("# %s %s: %s\n", method, url, curl_easy_strerror(rc));
	curl_slist_free_all(hdr);
	return status;
}

static void
t_check_doc(const char *json)
{
	cJSON *doc = cJSON_Parse(json);
	const cJSON *found = cJSON_GetObjectItemCaseSensitive(doc, "found");
	const cJSON *src = cJSON_GetObjectItemCaseSensitive(doc, "_source");
	const cJSON *email = cJSON_GetObjectItemCaseSensitive(src, "email");
	const cJSON *n = cJSON_GetObjectItemCaseSensitive(src, "orders");

	ok(doc != NULL, "GET body is JSON");
	ok(cJSON_IsTrue(found), "document found");
	is_str(cJSON_GetStringValue(email), "ada@example.com",
	       "string field round-trips");
	ok(cJSON_IsNumber(n) && n->valuedouble == 3, "number round-trips");
	cJSON_Delete(doc);
}

TAP_TEST(test_opensearch)
{
	const char *base = t_env("FLUSSO_TEST_OS_URL");
	char url[512], index[64];
	struct fl_buf out;
	CURL *c;

	if (!ok(base != NULL, "FLUSSO_TEST_OS_URL is set"))
		return;
	snprintf(index, sizeof(index), "flusso_it_services_%ld",
	         (long)getpid());
	fl_buf_init(&out, 1 << 20);
	c = curl_easy_init();
	snprintf(url, sizeof(url), "%s/", base);
	is_long(t_http(c, "GET", url, NULL, &out), 200, "node answers");
	has_str(fl_buf_str(&out), "\"2.19.6\"", "it is OpenSearch 2.19.6");
	snprintf(url, sizeof(url), "%s/%s", base, index);
	is_long(t_http(c, "PUT", url,
	               "{\"settings\":{\"number_of_shards\":1,"
	               "\"number_of_replicas\":0},\"mappings\":{\"dynamic\":"
	               "\"strict\",\"properties\":{\"email\":{\"type\":"
	               "\"keyword\"},\"orders\":{\"type\":\"long\"}}}}",
	               &out),
	        200, "index created");
	snprintf(url, sizeof(url), "%s/%s/_doc/1?refresh=true", base, index);
	is_long(t_http(c, "PUT", url,
	               "{\"email\":\"ada@example.com\",\"orders\":3}", &out),
	        201, "document written");
	snprintf(url, sizeof(url), "%s/%s/_doc/1", base, index);
	if (is_long(t_http(c, "GET", url, NULL, &out), 200, "document read"))
		t_check_doc(fl_buf_str(&out));
	snprintf(url, sizeof(url), "%s/%s/_doc/2?refresh=true", base, index);
	is_long(t_http(c, "PUT", url, "{\"nope\":1}", &out), 400,
	        "strict mapping refuses an unknown field");
	snprintf(url, sizeof(url), "%s/%s", base, index);
	is_long(t_http(c, "DELETE", url, NULL, &out), 200, "index deleted");
	is_long(t_http(c, "GET", url, NULL, &out), 404, "index is gone");
	curl_easy_cleanup(c);
	fl_buf_done(&out);
}

int
main(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	tap_run(test_postgres);
	tap_run(test_opensearch);
	curl_global_cleanup();
	return tap_done();
}
