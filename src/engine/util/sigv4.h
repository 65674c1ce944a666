/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * sigv4.h - AWS Signature Version 4 for one HTTP request (Amazon
 * OpenSearch Service `es`, OpenSearch Serverless `aoss`).
 *
 * Owns: the canonical request (path encoded segment by segment as AWS
 * wants for every service but S3, query sorted and re-encoded), the
 * string to sign, the key derivation and the header values to send.
 * Does not own: where credentials come from (config/sink_conn.c),
 * sending the headers (util/http_client.c).
 *
 * Why not libcurl's CURLOPT_AWS_SIGV4: libcurl 7.88 (Debian 12) signs the
 * query as sent (unsorted, not re-encoded) and the path as sent (not
 * encoded again), so a request such as
 * `GET /_cat/indices/p*?h=index&format=json` or a path holding a
 * percent-escaped id gets a signature AWS rejects.
 */
#ifndef FL_SIGV4_H
#define FL_SIGV4_H

#include <stddef.h>
#include <time.h>

/* The signing identity; strings are borrowed. */
struct fl_sigv4 {
	const char *region;        /* eu-west-1 */
	const char *service;       /* es or aoss */
	const char *access_key;    /* AWS_ACCESS_KEY_ID */
	const char *secret_key;    /* AWS_SECRET_ACCESS_KEY */
	const char *session_token; /* AWS_SESSION_TOKEN, NULL when none */
};

/* The headers a signed request carries (besides the session token). */
struct fl_sigv4_out {
	char host[256];       /* Host, exactly as signed */
	char amz_date[17];    /* x-amz-date: 20260102T030405Z */
	char content_sha[65]; /* x-amz-content-sha256: hex of the body */
	char authorization[1024];
};

/*
 * Sign `method url` with the body (NULL/0: empty) at time `now` (UTC).
 * url is absolute (http[s]://host[:port]/path?query). Returns 0, or -1
 * when the URL cannot be signed (no host, host too long).
 */
int fl_sigv4_sign(const struct fl_sigv4 *k, const char *method, const char *url,
                  const void *body, size_t len, time_t now,
                  struct fl_sigv4_out *out);

/* Lowercase hex SHA-256 of data into hex[65]. */
void fl_sigv4_sha256_hex(const void *data, size_t len, char hex[65]);

#endif
