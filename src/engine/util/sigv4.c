/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * sigv4.c - AWS Signature Version 4 of one request (see sigv4.h for why
 * this is not libcurl's CURLOPT_AWS_SIGV4). SHA-256 and HMAC come from
 * OpenSSL's libcrypto, which libcurl already loads.
 *
 * Canonical request (AWS "Create a canonical request"):
 *   METHOD \n URI \n QUERY \n HEADERS \n SIGNED \n sha256(body)
 * URI: the path as sent, every byte but unreserved ones and '/' encoded
 * again (a sent "%3A" is signed as "%253A"), as AWS does for every
 * service but S3. QUERY: each name and value percent-decoded, then
 * encoded with unreserved bytes only, pairs sorted by name then value.
 * Signed headers: host, x-amz-content-sha256, x-amz-date and, with a
 * session token, x-amz-security-token. Pure functions, any thread.
 */
#include "util/sigv4.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/strutil.h"
#include "util/xmem.h"

#define SIGV4_MAX ((size_t)1 << 20)

static const char sigv4_hexd[] = "0123456789abcdef";

/* Lowercase hex of n bytes into out (2n + 1). */
static void
sigv4_hex(const unsigned char *p, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = sigv4_hexd[p[i] >> 4];
		out[2 * i + 1] = sigv4_hexd[p[i] & 15];
	}
	out[2 * n] = '\0';
}

void
fl_sigv4_sha256_hex(const void *data, size_t len, char hex[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	if (!EVP_Digest(data ? data : "", len, md, &n, EVP_sha256(), NULL) ||
	    n != 32)
		memset(md, 0, n = 32);
	sigv4_hex(md, 32, hex);
}

/* HMAC-SHA256(key, msg) into out[32]. */
static void
sigv4_hmac(const void *key, size_t klen, const char *msg, unsigned char *out)
{
	unsigned int n = 32;

	if (!HMAC(EVP_sha256(), key, (int)klen, (const unsigned char *)msg,
	          strlen(msg), out, &n))
		memset(out, 0, 32);
}

static int
sigv4_unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
	       c == '~';
}

/* Append s[0..n) encoded: unreserved bytes (and '/' when keep_slash)
 * as they are, every other byte as %XX (uppercase). */
static void
sigv4_encode(struct fl_buf *b, const char *s, size_t n, int keep_slash)
{
	static const char up[] = "0123456789ABCDEF";
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (sigv4_unreserved(c) || (keep_slash && c == '/')) {
			fl_buf_putc(b, (char)c);
		} else {
			char e[3] = { '%', up[c >> 4], up[c & 15] };

			fl_buf_append(b, e, 3);
		}
	}
}

/* s[0..n) percent-decoded (a bad escape is kept as it is), then
 * encoded as a canonical query name or value; caller frees. */
static char *
sigv4_requote(const char *s, size_t n)
{
	struct fl_buf raw, out;
	char *r;
	size_t i;

	fl_buf_init(&raw, SIGV4_MAX);
	for (i = 0; i < n; i++) {
		int hi, lo;

		if (s[i] == '%' && i + 2 < n &&
		    (hi = fl_hex_digit(s[i + 1])) >= 0 &&
		    (lo = fl_hex_digit(s[i + 2])) >= 0) {
			fl_buf_putc(&raw, (char)(hi * 16 + lo));
			i += 2;
		} else {
			fl_buf_putc(&raw, s[i]);
		}
	}
	fl_buf_init(&out, SIGV4_MAX);
	sigv4_encode(&out, raw.data ? raw.data : "", raw.len, 0);
	fl_buf_done(&raw);
	r = fl_buf_steal(&out);
	return r ? r : fl_xstrdup("");
}

struct sigv4_pair {
	char *k, *v;
};

static int
sigv4_pair_cmp(const void *a, const void *b)
{
	const struct sigv4_pair *x = a, *y = b;
	int c = strcmp(x->k, y->k);

	return c ? c : strcmp(x->v, y->v);
}

/* Append the canonical query of q[0..n). */
static void
sigv4_query(struct fl_buf *b, const char *q, size_t n)
{
	struct sigv4_pair *v;
	size_t np = 0, i, start = 0;

	v = fl_xcalloc(n / 2 + 2, sizeof(*v));
	for (i = 0; i <= n; i++) {
		const char *p, *eq;
		size_t len;

		if (i < n && q[i] != '&')
			continue;
		p = q + start;
		len = i - start;
		start = i + 1;
		if (!len)
			continue;
		eq = memchr(p, '=', len);
		v[np].k = sigv4_requote(p, eq ? (size_t)(eq - p) : len);
		v[np].v = eq ? sigv4_requote(eq + 1, len - (size_t)(eq - p) - 1)
		             : fl_xstrdup("");
		np++;
	}
	qsort(v, np, sizeof(*v), sigv4_pair_cmp);
	for (i = 0; i < np; i++) {
		fl_buf_printf(b, "%s%s=%s", i ? "&" : "", v[i].k, v[i].v);
		free(v[i].k);
		free(v[i].v);
	}
	free(v);
}

/* Split url into host and the path+query after it. -1 when no host. */
static int
sigv4_split(const char *url, struct fl_sigv4_out *out, const char **rest)
{
	const char *h = strstr(url, "://"), *e, *at;
	size_t n;

	if (!h)
		return -1;
	h += 3;
	e = h + strcspn(h, "/?#");
	at = memchr(h, '@', (size_t)(e - h));
	if (at)
		h = at + 1;
	n = (size_t)(e - h);
	if (!n || n >= sizeof(out->host))
		return -1;
	memcpy(out->host, h, n);
	out->host[n] = '\0';
	*rest = e;
	return 0;
}

/* The canonical request's hash into hex[65]; signed headers into sh. */
static void
sigv4_canonical(const struct fl_sigv4 *k, const char *method, const char *rest,
                const struct fl_sigv4_out *out, const char *sh, char hex[65])
{
	struct fl_buf b;
	size_t plen = strcspn(rest, "?#");
	const char *q = rest[plen] == '?' ? rest + plen + 1 : "";

	fl_buf_init(&b, SIGV4_MAX);
	fl_buf_printf(&b, "%s\n", method);
	if (plen)
		sigv4_encode(&b, rest, plen, 1);
	else
		fl_buf_putc(&b, '/');
	fl_buf_putc(&b, '\n');
	sigv4_query(&b, q, strcspn(q, "#"));
	fl_buf_printf(&b, "\nhost:%s\nx-amz-content-sha256:%s\nx-amz-date:%s\n",
	              out->host, out->content_sha, out->amz_date);
	if (k->session_token)
		fl_buf_printf(&b, "x-amz-security-token:%s\n",
		              k->session_token);
	fl_buf_printf(&b, "\n%s\n%s", sh, out->content_sha);
	fl_sigv4_sha256_hex(b.data, b.len, hex);
	fl_buf_done(&b);
}

int
fl_sigv4_sign(const struct fl_sigv4 *k, const char *method, const char *url,
              const void *body, size_t len, time_t now,
              struct fl_sigv4_out *out)
{
	const char *rest;
	const char *sh = k->session_token ? "host;x-amz-content-sha256;"
	                                    "x-amz-date;x-amz-security-token"
	                                  : "host;x-amz-content-sha256;"
	                                    "x-amz-date";
	char day[9], creq[65], *sts, *key;
	unsigned char kd[32], kr[32], ks[32], kk[32], sig[32];
	char sighex[65];
	struct tm tm;

	memset(out, 0, sizeof(*out));
	if (sigv4_split(url, out, &rest) < 0)
		return -1;
	gmtime_r(&now, &tm);
	strftime(out->amz_date, sizeof(out->amz_date), "%Y%m%dT%H%M%SZ", &tm);
	memcpy(day, out->amz_date, 8);
	day[8] = '\0';
	fl_sigv4_sha256_hex(body, body ? len : 0, out->content_sha);
	sigv4_canonical(k, method, rest, out, sh, creq);
	sts = fl_xasprintf("AWS4-HMAC-SHA256\n%s\n%s/%s/%s/aws4_request\n%s",
	                   out->amz_date, day, k->region, k->service, creq);
	key = fl_xasprintf("AWS4%s", k->secret_key);
	sigv4_hmac(key, strlen(key), day, kd);
	sigv4_hmac(kd, 32, k->region, kr);
	sigv4_hmac(kr, 32, k->service, ks);
	sigv4_hmac(ks, 32, "aws4_request", kk);
	sigv4_hmac(kk, 32, sts, sig);
	sigv4_hex(sig, 32, sighex);
	fl_wipe_free(key);
	/* the derived keys sign for the whole day: not left on the stack */
	fl_wipe(kd, sizeof(kd));
	fl_wipe(kr, sizeof(kr));
	fl_wipe(ks, sizeof(ks));
	fl_wipe(kk, sizeof(kk));
	free(sts);
	if (snprintf(out->authorization, sizeof(out->authorization),
	             "AWS4-HMAC-SHA256 Credential=%s/%s/%s/%s/aws4_request, "
	             "SignedHeaders=%s, Signature=%s",
	             k->access_key, day, k->region, k->service, sh,
	             sighex) >= (int)sizeof(out->authorization))
		return -1;
	return 0;
}
