/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * config_os_auth.c - TLS files and the auth method of an OpenSearch sink,
 * read and checked when flusso.yml loads (config_os_auth.h). A file that
 * cannot be read, a client certificate without its key (or the reverse),
 * `auth: aws_sigv4` without `region` or together with username/password,
 * and an unknown `auth` or `service` are errors at file:line:column.
 */
#include "config/config_os_auth.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/xmem.h"

/* Read path key `key` of m, joined to dir, and check it is readable. */
static int
osauth_file(struct fl_yread *r, const struct fl_ynode *m, const char *dir,
            const char *key, char **out)
{
	char *rel = NULL;
	int rc = fl_yread_str(r, m, key, 0, &rel);

	if (rc != 0)
		return rc;
	if (!*rel) {
		free(rel);
		return fl_yread_key_error(r, fl_ynode_get(m, key), key,
		                          "%s must name a PEM file", key);
	}
	if (rel[0] == '/' || !dir || strcmp(dir, ".") == 0)
		*out = fl_xstrdup(rel);
	else
		*out = fl_xasprintf("%s/%s", dir, rel);
	free(rel);
	if (access(*out, R_OK) != 0)
		return fl_yread_key_error(r, fl_ynode_get(m, key), key,
		                          "cannot read %s `%s`: %s", key, *out,
		                          strerror(errno));
	return 0;
}

/* auth: basic | aws_sigv4; the default follows username. */
static int
osauth_method(struct fl_yread *r, const struct fl_ynode *m,
              struct fl_sink_cfg *s)
{
	char *auth = NULL;
	int rc = fl_yread_str(r, m, "auth", 0, &auth);

	if (rc < 0)
		return -1;
	s->auth =
	    s->username.kind != FL_SECRET_NONE ? FL_AUTH_BASIC : FL_AUTH_NONE;
	if (rc == 1)
		return 0;
	if (strcmp(auth, "basic") == 0) {
		s->auth = FL_AUTH_BASIC;
		if (s->username.kind == FL_SECRET_NONE)
			rc = fl_yread_key_error(r, fl_ynode_get(m, "auth"),
			                        "auth",
			                        "auth: basic needs `username`");
	} else if (strcmp(auth, "aws_sigv4") == 0) {
		s->auth = FL_AUTH_SIGV4;
	} else {
		rc = fl_yread_key_error(r, fl_ynode_get(m, "auth"), "auth",
		                        "unknown auth `%s`; expected `basic` "
		                        "or `aws_sigv4`",
		                        auth);
	}
	free(auth);
	return rc;
}

/* region and service: required/defaulted with aws_sigv4, else refused. */
static int
osauth_sigv4(struct fl_yread *r, const struct fl_ynode *m,
             struct fl_sink_cfg *s)
{
	static const char *const keys[] = { "region", "service", "username",
		                            "password" };
	size_t i;
	int rc = 0;

	if (s->auth != FL_AUTH_SIGV4) {
		for (i = 0; i < 2; i++)
			if (fl_ynode_get(m, keys[i]))
				rc = fl_yread_key_error(
				    r, fl_ynode_get(m, keys[i]), keys[i],
				    "%s is only used with auth: aws_sigv4",
				    keys[i]);
		return rc;
	}
	for (i = 2; i < 4; i++)
		if (fl_ynode_get(m, keys[i]))
			rc = fl_yread_key_error(
			    r, fl_ynode_get(m, keys[i]), keys[i],
			    "auth: aws_sigv4 signs with the AWS credentials; "
			    "remove %s",
			    keys[i]);
	if (fl_yread_str(r, m, "region", 0, &s->region) < 0)
		rc = -1;
	else if (!s->region || !*s->region)
		rc = fl_yread_key_error(r, fl_ynode_get(m, "auth"), "region",
		                        "auth: aws_sigv4 needs `region` (such "
		                        "as eu-west-1)");
	if (fl_yread_str(r, m, "service", 0, &s->service) < 0)
		return -1;
	if (!s->service)
		s->service = fl_xstrdup("es");
	else if (strcmp(s->service, "es") != 0 &&
	         strcmp(s->service, "aoss") != 0)
		rc =
		    fl_yread_key_error(r, fl_ynode_get(m, "service"), "service",
		                       "unknown service `%s`; expected `es` "
		                       "(OpenSearch Service) or `aoss` "
		                       "(OpenSearch Serverless)",
		                       s->service);
	return rc;
}

int
fl_config_os_auth(struct fl_yread *r, const struct fl_ynode *m, const char *dir,
                  struct fl_sink_cfg *s)
{
	int rc = 0;

	if (osauth_file(r, m, dir, "ca_file", &s->ca_file) < 0)
		rc = -1;
	if (osauth_file(r, m, dir, "client_cert", &s->client_cert) < 0)
		rc = -1;
	if (osauth_file(r, m, dir, "client_key", &s->client_key) < 0)
		rc = -1;
	if (fl_ynode_get(m, "client_cert") && !fl_ynode_get(m, "client_key"))
		rc = fl_yread_key_error(r, fl_ynode_get(m, "client_cert"),
		                        "client_cert",
		                        "client_cert needs client_key (mutual "
		                        "TLS uses both)");
	if (fl_ynode_get(m, "client_key") && !fl_ynode_get(m, "client_cert"))
		rc = fl_yread_key_error(r, fl_ynode_get(m, "client_key"),
		                        "client_key",
		                        "client_key needs client_cert (mutual "
		                        "TLS uses both)");
	if (osauth_method(r, m, s) < 0)
		rc = -1;
	if (osauth_sigv4(r, m, s) < 0)
		rc = -1;
	return rc;
}

void
fl_config_os_auth_done(struct fl_sink_cfg *s)
{
	free(s->ca_file);
	free(s->client_cert);
	free(s->client_key);
	free(s->region);
	free(s->service);
	s->ca_file = s->client_cert = s->client_key = NULL;
	s->region = s->service = NULL;
}
