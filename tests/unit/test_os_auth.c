/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_os_auth.c - TLS and auth of OpenSearch sinks (issue 19 item 6):
 * the load-time errors of ca_file, client_cert/client_key, auth, region
 * and service with file:line:column and key; the runtime resolution
 * (fl_sink_conn: AWS credentials from the environment); and SigV4
 * signatures against values computed independently by
 * tests/integration/os_secure_proxy.py (Python hashlib/hmac).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"
#include "config/sink_conn.h"
#include "tap.h"
#include "unit/t_diags.h"
#include "util/sigv4.h"

static char t_dir[256];

static void
t_write(const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", t_dir, name);
	f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
}

static struct fl_config *
t_load(const char *yaml, struct fl_diags *d)
{
	char path[512];

	t_write("flusso.yml", yaml);
	snprintf(path, sizeof(path), "%s/flusso.yml", t_dir);
	fl_diags_init(d);
	return fl_config_load(path, NULL, d);
}

/* Expect the load to fail with `want` ("@" stands for the path). */
static void
t_fails(const char *what, const char *yaml, const char *want)
{
	char full[1024], path[512];
	struct fl_config *c;
	struct fl_diags d;
	const char *at;
	char *all;

	c = t_load(yaml, &d);
	all = t_all(&d);
	snprintf(path, sizeof(path), "%s/flusso.yml", t_dir);
	at = strchr(want, '@');
	if (at)
		snprintf(full, sizeof(full), "%.*s%s%s", (int)(at - want), want,
		         path, at + 1);
	else
		snprintf(full, sizeof(full), "%s", want);
	ok(c == NULL && d.nerrors > 0, what);
	has_str(all, full, what);
	free(all);
	fl_config_free(c);
	fl_diags_done(&d);
}

#define SRC "source: {type: postgres}\n"
#define OS  "sinks:\n  search:\n    type: opensearch\n    url: https://x:9200\n"

TAP_TEST(test_load_errors)
{
	t_fails("ca_file missing", SRC OS "    ca_file: nope/ca.pem\n",
	        "@:6:14: sinks.search.ca_file: cannot read ca_file `");
	t_fails("ca_file missing names the resolved path",
	        SRC OS "    ca_file: nope/ca.pem\n",
	        "nope/ca.pem`: No such file or directory");
	t_fails("client_cert without client_key",
	        SRC OS "    client_cert: cert.pem\n",
	        "@:6:18: sinks.search.client_cert: client_cert needs "
	        "client_key");
	t_fails("client_key without client_cert",
	        SRC OS "    client_key: key.pem\n",
	        "@:6:17: sinks.search.client_key: client_key needs "
	        "client_cert");
	t_fails("client_key unreadable",
	        SRC OS "    client_cert: cert.pem\n    client_key: gone.pem\n",
	        "@:7:17: sinks.search.client_key: cannot read client_key");
	t_fails("aws_sigv4 without region", SRC OS "    auth: aws_sigv4\n",
	        "@:6:11: sinks.search.region: auth: aws_sigv4 needs "
	        "`region`");
	t_fails("unknown service",
	        SRC OS "    auth: aws_sigv4\n    region: eu-west-1\n"
	               "    service: s3\n",
	        "@:8:14: sinks.search.service: unknown service `s3`; "
	        "expected `es`");
	t_fails("aws_sigv4 with username",
	        SRC OS "    auth: aws_sigv4\n    region: eu-west-1\n"
	               "    username: admin\n",
	        "@:8:15: sinks.search.username: auth: aws_sigv4 signs with "
	        "the AWS credentials; remove username");
	t_fails("aws_sigv4 with password",
	        SRC OS "    auth: aws_sigv4\n    region: eu-west-1\n"
	               "    password: {env: PW}\n",
	        "sinks.search.password: auth: aws_sigv4 signs");
	t_fails("unknown auth", SRC OS "    auth: kerberos\n",
	        "@:6:11: sinks.search.auth: unknown auth `kerberos`; expected "
	        "`basic` or `aws_sigv4`");
	t_fails("basic without username", SRC OS "    auth: basic\n",
	        "@:6:11: sinks.search.auth: auth: basic needs `username`");
	t_fails("region without aws_sigv4", SRC OS "    region: eu-west-1\n",
	        "@:6:13: sinks.search.region: region is only used with auth: "
	        "aws_sigv4");
	t_fails("auth on a stdout sink is unknown",
	        SRC "sinks:\n  out: {type: stdout, auth: basic}\n",
	        "unknown key `auth`");
}

TAP_TEST(test_load_good)
{
	struct fl_config *c;
	struct fl_diags d;
	char want[512];

	t_write("ca.pem", "x\n");
	t_write("cert.pem", "x\n");
	t_write("key.pem", "x\n");
	c = t_load(SRC OS "    ca_file: ca.pem\n    client_cert: cert.pem\n"
	                  "    client_key: key.pem\n    auth: aws_sigv4\n"
	                  "    region: eu-west-1\n",
	           &d);
	ok(c && d.nerrors == 0, "TLS files and aws_sigv4 load");
	if (!c) {
		fl_diags_done(&d);
		return;
	}
	snprintf(want, sizeof(want), "%s/ca.pem", t_dir);
	is_str(c->sinks[0].ca_file, want, "ca_file joined to the config dir");
	ok(c->sinks[0].auth == FL_AUTH_SIGV4, "auth is aws_sigv4");
	is_str(c->sinks[0].service, "es", "service defaults to es");
	fl_config_free(c);
	fl_diags_done(&d);
	c = t_load(SRC OS "    username: u\n", &d);
	ok(c && c->sinks[0].auth == FL_AUTH_BASIC,
	   "a username means auth: basic");
	fl_config_free(c);
	fl_diags_done(&d);
	c = t_load(SRC OS "    auth: aws_sigv4\n    region: us-east-1\n"
	                  "    service: aoss\n",
	           &d);
	ok(c && strcmp(c->sinks[0].service, "aoss") == 0, "service: aoss");
	fl_config_free(c);
	fl_diags_done(&d);
}

TAP_TEST(test_conn_credentials)
{
	struct fl_sink_conn conn;
	struct fl_config *c;
	struct fl_diags d;
	struct fl_err err;

	c = t_load(SRC OS "    auth: aws_sigv4\n    region: eu-west-1\n", &d);
	if (!c) {
		ok(0, "config loads");
		fl_diags_done(&d);
		return;
	}
	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_SECRET_ACCESS_KEY");
	unsetenv("AWS_SESSION_TOKEN");
	unsetenv("SEARCH_OPENSEARCH_USERNAME");
	ok(fl_sink_conn_init(&conn, &c->sinks[0], &err) < 0,
	   "no AWS credentials: an error");
	has_str(err.msg, "AWS_ACCESS_KEY_ID is not set", "names the variable");
	has_str(err.msg, "AWS_SECRET_ACCESS_KEY", "names both variables");
	setenv("AWS_ACCESS_KEY_ID", "AKIDTEST", 1);
	ok(fl_sink_conn_init(&conn, &c->sinks[0], &err) < 0,
	   "no secret: an error");
	has_str(err.msg, "AWS_SECRET_ACCESS_KEY is not set",
	        "names the secret's variable");
	setenv("AWS_SECRET_ACCESS_KEY", "s3cr3t", 1);
	setenv("AWS_SESSION_TOKEN", "tok", 1);
	setenv("SEARCH_OPENSEARCH_USERNAME", "someone", 1);
	ok(fl_sink_conn_init(&conn, &c->sinks[0], &err) == 0,
	   "credentials from the environment");
	ok(conn.http.sigv4 == &conn.sigv4, "the client signs");
	is_str(conn.sigv4.access_key, "AKIDTEST", "access key");
	is_str(conn.sigv4.session_token, "tok", "session token");
	is_str(conn.sigv4.region, "eu-west-1", "region");
	is_str(conn.sigv4.service, "es", "service");
	ok(conn.http.username == NULL, "never Basic auth with SigV4");
	is_str(conn.http.url, "https://x:9200", "url");
	fl_sink_conn_done(&conn);
	unsetenv("SEARCH_OPENSEARCH_USERNAME");
	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_SECRET_ACCESS_KEY");
	unsetenv("AWS_SESSION_TOKEN");
	fl_config_free(c);
	fl_diags_done(&d);
}

/* Sign at 2023-11-14T22:13:20Z; the expected signatures come from
 * os_secure_proxy.py's canonical_request() and signature(). */
static void
t_sig(const char *what, const char *method, const char *url, const char *body,
      const char *token, const char *service, const char *want)
{
	struct fl_sigv4 k = { "eu-west-1", service, "AKIDEXAMPLE",
		              "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
		              token };
	struct fl_sigv4_out o;

	ok(fl_sigv4_sign(&k, method, url, body, body ? strlen(body) : 0,
	                 1700000000, &o) == 0,
	   what);
	has_str(o.authorization, want, what);
	is_str(o.amz_date, "20231114T221320Z", "x-amz-date");
}

TAP_TEST(test_sigv4)
{
	struct fl_sigv4_out o;
	struct fl_sigv4 k = { "r", "es", "a", "s", NULL };
	char hex[65];

	fl_sigv4_sha256_hex("abc", 3, hex);
	is_str(hex,
	       "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f200"
	       "15ad",
	       "sha256(abc)");
	t_sig("unsorted query, '*' in the path", "GET",
	      "https://search-x.eu-west-1.es.amazonaws.com/_cat/indices/"
	      "dev_*?h=index&format=json&expand_wildcards=all",
	      NULL, NULL, "es",
	      "Credential=AKIDEXAMPLE/20231114/eu-west-1/es/aws4_request, "
	      "SignedHeaders=host;x-amz-content-sha256;x-amz-date, "
	      "Signature=bd2cc2b59b2857ed40ec80c10a0accc1c32b7d46011d4f27e5c"
	      "36ad8483ce9d5");
	t_sig("an escaped id in the path, a session token", "PUT",
	      "https://search-x.eu-west-1.es.amazonaws.com/"
	      "dev_flusso_pending/_doc/hold%3Ausers",
	      "{\"state\":\"drift\"}", "TOKEN/x+y==", "es",
	      "SignedHeaders=host;x-amz-content-sha256;x-amz-date;"
	      "x-amz-security-token, Signature=9371bb936443d2e8b9d5d08677b47"
	      "3d18b110e1ad04db0396155b6890e7a9301");
	t_sig("aoss, an escaped query value", "POST",
	      "https://search-x.eu-west-1.es.amazonaws.com/_bulk?"
	      "pipeline=a%20b&refresh=true",
	      "{}\n", NULL, "aoss",
	      "/aoss/aws4_request, SignedHeaders=host;x-amz-content-sha256;"
	      "x-amz-date, Signature=d8086ad31e2058d694355ee15a7c67788ead9cd"
	      "23ae5bb68153b527746be45a3");
	ok(fl_sigv4_sign(&k, "GET", "https://u@h:1/x", NULL, 0, 0, &o) == 0,
	   "userinfo dropped");
	is_str(o.host, "h:1", "the Host is host:port");
	ok(fl_sigv4_sign(&k, "GET", "no-scheme", NULL, 0, 0, &o) < 0,
	   "a URL without a host cannot be signed");
}

int
main(void)
{
	char tmpl[] = "/tmp/flusso-test-os-auth.XXXXXX";
	char cmd[300];

	if (!mkdtemp(tmpl))
		return 1;
	snprintf(t_dir, sizeof(t_dir), "%s", tmpl);
	tap_run(test_load_errors);
	tap_run(test_load_good);
	tap_run(test_conn_credentials);
	tap_run(test_sigv4);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t_dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", t_dir);
	return tap_done();
}
