#!/usr/bin/env bash
# Smoke test of the OpenSearch test node (spec opensearch-test-node.md §8).
#
#   tests/opensearch/smoke.sh [URL]
#
# URL defaults to $FLUSSO_TEST_OS_URL, else the one recorded by tests/opensearch/start.sh in
# ${OS_DIR:-${FLUSSO_SVC_DIR:-${TMPDIR:-/tmp}/flusso-services}/os}/env.
# Exits non-zero with a message naming the failed check. Needs only bash, curl and grep.
set -eu

OS_DIR=${OS_DIR:-${FLUSSO_SVC_DIR:-${TMPDIR:-/tmp}/flusso-services}/os}
URL=${1:-${FLUSSO_TEST_OS_URL:-}}
if [ -z "$URL" ] && [ -f "$OS_DIR/env" ]; then
    # shellcheck disable=SC1091
    URL=$(. "$OS_DIR/env" && echo "$FLUSSO_TEST_OS_URL")
fi
[ -n "$URL" ] || { echo "smoke: FAIL: no URL (pass one, set FLUSSO_TEST_OS_URL, or run tests/opensearch/start.sh)" >&2; exit 1; }
URL=${URL%/}

INDEX="flusso-smoke-$$-$RANDOM"
step=setup
fail() {
    echo "smoke: FAIL [$step]: $*" >&2
    exit 1
}
ok() { echo "smoke: ok   [$step] $*"; }
cleanup() { curl -s -o /dev/null --max-time 10 -X DELETE "$URL/$INDEX" 2>/dev/null || true; }
trap cleanup EXIT

# req METHOD PATH [BODY] [CONTENT-TYPE] -> body on stdout; fails on transport error or HTTP >= 300
req() {
    local out code
    if ! out=$(curl -sS --max-time 60 -X "$1" -H "Content-Type: ${4:-application/json}" \
        -w '\n%{http_code}' "$URL$2" ${3:+--data-binary "$3"} 2>&1); then
        fail "$1 $2: ${out%$'\n'*}"
    fi
    code=${out##*$'\n'}
    out=${out%$'\n'*}
    case $code in 2??) ;; *) fail "$1 $2 -> HTTP $code: $out" ;; esac
    printf '%s' "$out"
}
# has JSON FRAGMENT: whitespace is ignored (GET / answers pretty-printed JSON); the
# fragments checked here contain no spaces
has() { printf '%s' "$1" | tr -d '[:space:]' | grep -qF -- "$2"; }

# 1. version
step=version
body=$(req GET /)
has "$body" '"number":"2.19.6"' || fail "expected version.number 2.19.6, got: $body"
ok "version 2.19.6"

# 2. the four classpath plugins
step=plugins
body=$(req GET /_nodes/plugins)
for cls in org.opensearch.analysis.common.CommonAnalysisPlugin \
    org.opensearch.index.mapper.MapperExtrasPlugin \
    org.opensearch.painless.PainlessPlugin \
    org.opensearch.transport.Netty4Plugin; do
    has "$body" "\"name\":\"$cls\"" || fail "plugin $cls not listed in _nodes/plugins: $body"
done
ok "4 classpath plugins loaded"

# 3. analysis-common filters
step=analyze
body=$(req POST /_analyze '{"tokenizer":"whitespace","filter":["word_delimiter_graph","lowercase","asciifolding"],"text":"Foo-Bär"}')
for t in foo bar; do
    has "$body" "\"token\":\"$t\"" || fail "token $t missing from _analyze of Foo-Bär: $body"
done
ok "word_delimiter_graph/lowercase/asciifolding: Foo-Bär -> foo, bar"

# 4. index with a custom analyzer and a scaled_float field (mapper-extras)
step=create-index
req PUT "/$INDEX" '{
  "settings": {
    "number_of_shards": 1,
    "number_of_replicas": 0,
    "analysis": {
      "filter": {
        "flusso_code_wdg": {
          "type": "word_delimiter_graph",
          "preserve_original": true,
          "catenate_all": true
        }
      },
      "analyzer": {
        "flusso_code": {
          "type": "custom",
          "tokenizer": "whitespace",
          "filter": ["flusso_code_wdg", "flatten_graph", "lowercase", "asciifolding"]
        }
      }
    }
  },
  "mappings": {
    "properties": {
      "code":   { "type": "text", "analyzer": "flusso_code" },
      "amount": { "type": "scaled_float", "scaling_factor": 100 },
      "name":   { "type": "keyword" }
    }
  }
}' >/dev/null
ok "index $INDEX created (custom analyzer, scaled_float)"

step=custom-analyzer
body=$(req POST "/$INDEX/_analyze" '{"analyzer":"flusso_code","text":"C-01234"}')
for t in c-01234 c 01234 c01234; do
    has "$body" "\"token\":\"$t\"" || fail "token $t missing from flusso_code analysis of C-01234: $body"
done
ok "flusso_code: C-01234 -> c-01234, c, 01234, c01234"

# 5. bulk + count
step=bulk
body=$(req POST "/_bulk?refresh=true" "{\"index\":{\"_index\":\"$INDEX\",\"_id\":\"1\"}}
{\"code\":\"C-01234\",\"amount\":12.34,\"name\":\"one\"}
{\"index\":{\"_index\":\"$INDEX\",\"_id\":\"2\"}}
{\"code\":\"D-5\",\"amount\":0.5,\"name\":\"two\"}
" application/x-ndjson)
has "$body" '"errors":false' || fail "bulk reported errors: $body"
ok "bulk of 2 documents"

step=count
body=$(req GET "/$INDEX/_count")
has "$body" '"count":2' || fail "expected count 2, got: $body"
ok "_count = 2"

step=search
body=$(req POST "/$INDEX/_search" '{"query":{"match":{"code":"c01234"}}}')
has "$body" '"_id":"1"' || fail "match on code c01234 did not find doc 1: $body"
ok "match query through the custom analyzer"

step=health
body=$(req GET "/_cluster/health/$INDEX?wait_for_status=green&timeout=10s")
has "$body" '"status":"green"' || fail "index $INDEX not green: $body"
ok "index green"

echo "smoke: PASS ($URL)"
