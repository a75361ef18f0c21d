# spotdrill IMDS probe: runs in a pod pinned to the target node (hostNetwork), polls IMDSv2 and prints one
# JSON line on stdout each time a watched path's (status, body) changes. The harness follows this log.
# POSIX sh; needs only curl and date. IMDS_ENDPOINT and PROBE_INTERVAL may be set for testing.

if ! command -v curl >/dev/null 2>&1; then
  echo "spotdrill imds probe: this image has no curl; set spotdrill.imds.probeImage to an image with sh and curl" >&2
  exit 127
fi

endpoint="${IMDS_ENDPOINT:-http://169.254.169.254}"
interval="${PROBE_INTERVAL:-1}"
notice_path=/latest/meta-data/spot/instance-action
rebalance_path=/latest/meta-data/events/recommendations/rebalance
token=""
last_notice=""
last_rebalance=""
nl='
'
tab='	'
cr=$(printf '\r')

# Minimal JSON string escaping: backslash, double quote, newline, carriage return, tab.
json_escape() {
  rest=$1
  out=""
  while [ -n "$rest" ]; do
    tail=${rest#?}
    c=${rest%"$tail"}
    rest=$tail
    case $c in
      \\) out="$out\\\\" ;;
      \") out="$out\\\"" ;;
      "$nl") out="$out\\n" ;;
      "$cr") out="$out\\r" ;;
      "$tab") out="$out\\t" ;;
      *) out="$out$c" ;;
    esac
  done
  printf '%s' "$out"
}

# Takes an IMDSv2 token (TTL 21600 s); leaves token empty when IMDS refuses, so the GETs answer 401.
take_token() {
  answer=$(curl -s --max-time 2 -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 21600' \
    -w '%{http_code}' "$endpoint/latest/api/token")
  code=${answer#"${answer%???}"}
  if [ "$code" = "200" ]; then token=${answer%???}; else token=""; fi
}

# GETs one path once; sets status (a number, 0 when IMDS did not answer) and body.
get_once() {
  answer=$(curl -s --max-time 2 -H "X-aws-ec2-metadata-token: $token" -w '%{http_code}' "$endpoint$1")
  code=${answer#"${answer%???}"}
  body=${answer%???}
  case $code in
    [0-9][0-9][0-9]) status=$((1$code - 1000)) ;;
    *) status=0 ;;
  esac
}

# GETs one path; on a 401 (token expired or refused) takes a new token and asks once more.
get() {
  if [ -z "$token" ]; then take_token; fi
  get_once "$1"
  if [ "$status" = "401" ]; then
    take_token
    get_once "$1"
  fi
}

emit() {
  printf '{"path":"%s","status":%s,"body":"%s","at":"%s"}\n' \
    "$1" "$2" "$(json_escape "$3")" "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
}

while :; do
  get "$notice_path"
  if [ "$status|$body" != "$last_notice" ]; then
    last_notice="$status|$body"
    emit "$notice_path" "$status" "$body"
  fi
  get "$rebalance_path"
  if [ "$status|$body" != "$last_rebalance" ]; then
    last_rebalance="$status|$body"
    emit "$rebalance_path" "$status" "$body"
  fi
  sleep "$interval"
done
