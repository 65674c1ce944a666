#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# test_os_secure.sh FLUSSO SRC - managed and secured OpenSearch (issue 19
# item 6), against the real dev node behind tests/integration/
# os_secure_proxy.py:
#  TLS: a test CA, server and client certificates made here with openssl;
#    a TLS-terminating proxy. Without ca_file and with a wrong CA flusso
#    fails with a clear TLS error (exit 1, no crash); with ca_file the shop
#    example seeds through https and a live change lands.
#  mTLS: the proxy requires a client certificate: without one flusso is
#    refused, with client_cert/client_key it works.
#  SigV4: the proxy checks every request's Authorization and x-amz-date,
#    the session token, and recomputes the signature with the secret;
#    flusso seeds a fresh prefix through it with auth: aws_sigv4 and a
#    live change lands; not one request is rejected. Missing credentials
#    are a clear error naming the variables.
# About 40 s. TAP output. Needs FLUSSO_TEST_PG_URL, FLUSSO_TEST_PG_BIN,
# FLUSSO_TEST_OS_URL, FLUSSO_SVC_DIR (tests/services.sh env), openssl.
set -u
bin=${1:?usage: test_os_secure.sh FLUSSO SRC}
src=${2:?usage: test_os_secure.sh FLUSSO SRC}
id=ossec_$$
REL_SCALE=${REL_SCALE:-1}
# shellcheck source=tests/reliability/lib.sh
. "$src/tests/reliability/lib.sh"
sec_pids=''
sec_cleanup() {
	local p
	for p in $sec_pids; do kill "$p" 2>/dev/null; done
	[ -n "${base:-}" ] && sql_admin "SELECT pg_drop_replication_slot('${id}_s_slot')" >/dev/null 2>&1
	rel_cleanup
}
trap sec_cleanup EXIT
command -v openssl >/dev/null || die "openssl is not installed (tests/deps.sh)"

rel_setup
pki=$tmp/pki
mkdir -p "$pki"
# mkcert NAME CA_NAME EXT: a key and a certificate signed by CA_NAME
mkcert() {
	openssl req -new -newkey rsa:2048 -nodes -keyout "$pki/$1.key" \
		-subj "/CN=$1" -out "$pki/$1.csr" 2>/dev/null &&
		printf '%s\n' "$3" >"$pki/$1.ext" &&
		openssl x509 -req -in "$pki/$1.csr" -CA "$pki/$2.pem" -CAkey "$pki/$2.key" \
			-CAcreateserial -days 2 -extfile "$pki/$1.ext" -out "$pki/$1.pem" 2>/dev/null
}
mkca() {
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$pki/$1.key" -days 2 \
		-subj "/CN=flusso test $1" -out "$pki/$1.pem" 2>/dev/null
}
mkca ca && mkca otherca &&
	mkcert server ca "subjectAltName=DNS:localhost,IP:127.0.0.1
extendedKeyUsage=serverAuth" &&
	mkcert client ca "extendedKeyUsage=clientAuth"
ok $? "test CA, server and client certificates made with openssl"

# proxy NAME ARGS...: start os_secure_proxy.py; sets port_NAME
proxy() {
	local name=$1 t=0
	shift
	python3 "$src/tests/integration/os_secure_proxy.py" --upstream "$DIRECT_OS_URL" \
		--port-file "$tmp/$name.port" --log "$tmp/$name.log" "$@" 2>>"$tmp/$name.err" &
	sec_pids="$sec_pids $!"
	while [ ! -s "$tmp/$name.port" ] && [ $t -lt 50 ]; do sleep 0.1; t=$((t + 1)); done
	[ -s "$tmp/$name.port" ] || die "proxy $name did not start: $(cat "$tmp/$name.err")"
	eval "port_$name=$(cat "$tmp/$name.port")"
}
proxy tls --cert "$pki/server.pem" --key "$pki/server.key"
proxy mtls --cert "$pki/server.pem" --key "$pki/server.key" --client-ca "$pki/ca.pem"
proxy sig --sigv4-secret 'wJalr/K7MDENG+bPxRfiCYEXAMPLE' --sigv4-akid AKIDFLUSSOTEST \
	--sigv4-region eu-west-1 --sigv4-service es --sigv4-token 'IQoJb3JpZ2luX2VjE/token+=='

# cfg NAME LINES: flusso.yml with LINES added to the search sink
cfg() {
	awk -v extra="$2" '{ print } /^    type: opensearch$/ && extra != "" { print extra }' \
		"$tmp/cfg/flusso.yml" >"$tmp/cfg/$1.yml"
}
cfg plain ""
cfg ca "    ca_file: $pki/ca.pem"
cfg wrongca "    ca_file: $pki/otherca.pem"
cfg mtls_nocert "    ca_file: $pki/ca.pem"
cfg mtls "    ca_file: $pki/ca.pem
    client_cert: $pki/client.pem
    client_key: $pki/client.key"
cfg sig "    auth: aws_sigv4
    region: eu-west-1"

rel_create_db
# vf CFG URL: flusso verify through URL; output in $tmp/vf.out, exit in vrc
vf() {
	SHOP_OPENSEARCH_URL=$2 FLUSSO_CONFIG=$tmp/cfg/$1.yml \
		timeout 60 "$bin" verify users >"$tmp/vf.out" 2>&1
	vrc=$?
}
tls_url=https://localhost:$port_tls
vf plain "$tls_url"
[ "$vrc" = 1 ] && grep -qiE 'certificate|SSL' "$tmp/vf.out"
ok $? "https without ca_file: exit $vrc, a TLS error: $(grep -iE -m1 -o 'SSL certificate problem[^"]{0,60}' "$tmp/vf.out" | head -1)"
vf wrongca "$tls_url"
[ "$vrc" = 1 ] && grep -qiE 'certificate|SSL' "$tmp/vf.out"
ok $? "a wrong CA: exit $vrc, a TLS error: $(grep -iE -m1 -o 'SSL certificate problem[^"]{0,60}' "$tmp/vf.out" | head -1)"

# TLS with ca_file: seed the shop through https, then a live change
export FLUSSO_CONFIG=$tmp/cfg/ca.yml
start_flusso SHOP_OPENSEARCH_URL="$tls_url"
wait_for 60 "every index live through https" all_live
ok $? "ca_file: the shop seeded through the TLS proxy"
n_users=$(sql "SELECT count(*) FROM users WHERE deleted_at IS NULL")
count() { curl -s "$DIRECT_OS_URL/$1/_count" | grep -o '"count":[0-9]*' | cut -d: -f2; }
has_count() { [ "$(count "$1")" = "$2" ]; }
curl -s -X POST "$DIRECT_OS_URL/${id}_users/_refresh" >/dev/null
wait_for 10 "users counted" has_count "${id}_users" "$n_users"
ok $? "users documents landed: $(count "${id}_users")/$n_users"
uid=$(sql "SELECT id FROM users WHERE deleted_at IS NULL ORDER BY id LIMIT 1")
tok=tls$(tr -dc a-z </dev/urandom | head -c 8)
mail_is() {
	curl -s -X POST "$DIRECT_OS_URL/$1/_refresh" >/dev/null
	curl -s -H 'Content-Type: application/json' "$DIRECT_OS_URL/$1/_search" \
		-d "{\"query\":{\"ids\":{\"values\":[\"$2\"]}}}" | grep -q "$3"
}
sql "UPDATE users SET email = '$tok@example.com' WHERE id = $uid" >/dev/null
wait_for 30 "live change through https" mail_is "${id}_users" "$uid" "$tok@"
ok $? "a live change landed through https"
[ "$(grep -c '^OK ' "$tmp/tls.log")" -gt 0 ]
ok $? "requests went through the TLS proxy: $(grep -c '^OK ' "$tmp/tls.log")"
stop_flusso
ok $? "flusso stopped cleanly"

# mutual TLS
mtls_url=https://localhost:$port_mtls
vf mtls_nocert "$mtls_url"
[ "$vrc" = 1 ] && grep -qiE 'SSL|TLS|certificate|handshake|alert|reset|recv|send' "$tmp/vf.out"
ok $? "mTLS without a client certificate is refused: exit $vrc: $(grep -m1 -iE -o '(SSL|TLS|recv|send|reset)[^"]{0,80}' "$tmp/vf.out")"
vf mtls "$mtls_url"
grep -q "users: .* rows, .* documents stored" "$tmp/vf.out"
ok $? "mTLS with client_cert/client_key works (verify read $(grep -o '[0-9]* documents stored' "$tmp/vf.out" | head -1))"
[ "$(grep -c '^OK ' "$tmp/mtls.log" 2>/dev/null)" -gt 0 ]
ok $? "the mTLS proxy served the client with a certificate"

# SigV4: missing credentials, then a fresh prefix seeded through the checker
export FLUSSO_CONFIG=$tmp/cfg/sig.yml
env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY SHOP_OPENSEARCH_URL="http://127.0.0.1:$port_sig" \
	timeout 30 "$bin" verify users >"$tmp/nocred.out" 2>&1
r=$?
[ "$r" = 1 ] && grep -q 'AWS_ACCESS_KEY_ID' "$tmp/nocred.out" && grep -q 'AWS_SECRET_ACCESS_KEY' "$tmp/nocred.out"
ok $? "aws_sigv4 without credentials: exit $r, names the variables"
# the checker itself: curl's own signing (a plain path) with the right
# secret passes, with a wrong one it is refused
sigcurl() {
	curl -s -o /dev/null -w '%{http_code}' --aws-sigv4 'aws:amz:eu-west-1:es' \
		--user "AKIDFLUSSOTEST:$1" -H 'x-amz-security-token: IQoJb3JpZ2luX2VjE/token+==' \
		"http://127.0.0.1:$port_sig/"
}
good=$(sigcurl 'wJalr/K7MDENG+bPxRfiCYEXAMPLE')
bad=$(sigcurl wrong-secret)
[ "$good" = 200 ] && [ "$bad" = 403 ] && grep -q '^BAD signature mismatch' "$tmp/sig.log"
ok $? "the checker accepts curl's signature ($good) and rejects a wrong secret ($bad)"
: >"$tmp/sig.log"
export FLUSSO_INDEX_PREFIX=${id}_s_ FLUSSO_SLOT=${id}_s_slot
export AWS_ACCESS_KEY_ID=AKIDFLUSSOTEST AWS_SECRET_ACCESS_KEY='wJalr/K7MDENG+bPxRfiCYEXAMPLE'
export AWS_SESSION_TOKEN='IQoJb3JpZ2luX2VjE/token+=='
start_flusso SHOP_OPENSEARCH_URL="http://127.0.0.1:$port_sig"
wait_for 60 "every index live through SigV4" all_live
ok $? "aws_sigv4: the shop seeded through the signature checker"
curl -s -X POST "$DIRECT_OS_URL/${id}_s_users/_refresh" >/dev/null
wait_for 10 "users counted" has_count "${id}_s_users" "$n_users"
ok $? "users documents landed: $(count "${id}_s_users")/$n_users"
tok=sig$(tr -dc a-z </dev/urandom | head -c 8)
sql "UPDATE users SET email = '$tok@example.com' WHERE id = $uid" >/dev/null
wait_for 30 "live change through SigV4" mail_is "${id}_s_users" "$uid" "$tok@"
ok $? "a live change landed through SigV4"
nok=$(grep -c '^OK ' "$tmp/sig.log")
nbad=$(grep -c '^BAD ' "$tmp/sig.log")
[ "$nok" -gt 10 ] && [ "$nbad" = 0 ]
ok $? "every signed request verified: $nok good, $nbad rejected $(grep -m1 '^BAD' "$tmp/sig.log")"
grep -q '^OK GET /_cat/indices/.*\*.*?' "$tmp/sig.log" && grep -q '^OK POST /_bulk' "$tmp/sig.log"
ok $? "including a wildcard path with an unsorted query, and bulk bodies"
! grep -q 'wJalr/K7MDENG' "$log"
ok $? "the secret is never logged"
stop_flusso
ok $? "flusso stopped cleanly"

echo "1..$n"
[ "$fail" = 0 ]
