/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * version.c - runtime versions of libpq, libcurl, cJSON, libyaml and
 * libmicrohttpd, as each library reports them.
 */
#include "util/version.h"

#include <stdio.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <libpq-fe.h>
#include <microhttpd.h>
#include <yaml.h>

void
fl_version_libs(char *out, size_t n)
{
	int pq = PQlibVersion();
	curl_version_info_data *cv = curl_version_info(CURLVERSION_NOW);

	snprintf(out, n,
	         "  libpq %d.%d\n  libcurl %s (%s)\n  cJSON %s\n  libyaml %s\n"
	         "  libmicrohttpd %s\n",
	         pq / 10000, pq % 10000, cv->version,
	         cv->ssl_version ? cv->ssl_version : "no TLS", cJSON_Version(),
	         yaml_get_version_string(), MHD_get_version());
}
