#!/usr/bin/env bash
# Client-credentials token endpoint: Latchkey vs npm oidc-provider (both RS256-signed JWT access
# tokens, HTTP Basic client authentication, the same random client secret), measured with wrk in
# the same run on the same machine, one server at a time.
#
#   bench/run.sh            full run: 15 s warm-up + 10 s measurement each; writes docs/benchmarks.md
#   bench/run.sh --smoke    2 s + 3 s each; only checks that both servers answered requests
#
# Environment: BENCH_CONNECTIONS (16), BENCH_THREADS (1), BENCH_WARMUP / BENCH_DURATION (seconds),
# BENCH_TARGET_RATIO (2). Needs root (or wrk already installed), dotnet, node + npm.
set -euo pipefail

cd "$(dirname "$0")/.."
REPO_ROOT="$(pwd)"
BENCH_DIR="$REPO_ROOT/bench"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

MODE=full
for argument in "$@"; do
  case "$argument" in
    --smoke) MODE=smoke ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "unknown argument: $argument" >&2; exit 2 ;;
  esac
done
if [ "$MODE" = smoke ]; then WARMUP=${BENCH_WARMUP:-2}; DURATION=${BENCH_DURATION:-3}; else WARMUP=${BENCH_WARMUP:-15}; DURATION=${BENCH_DURATION:-10}; fi
CONNECTIONS=${BENCH_CONNECTIONS:-16}
THREADS=${BENCH_THREADS:-1}
TARGET_RATIO=${BENCH_TARGET_RATIO:-2}

log() { printf '[bench] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# ---------------------------------------------------------------- tools
if ! command -v wrk >/dev/null 2>&1; then
  [ "$(id -u)" = 0 ] || die "wrk is not installed and this is not root (apt-get install wrk)"
  log "installing wrk (apt)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq </dev/null
  apt-get install -y -qq --no-install-recommends wrk </dev/null >/dev/null
fi
for tool in dotnet node npm curl python3; do command -v "$tool" >/dev/null 2>&1 || die "$tool is required"; done

log "installing oidc-provider (npm ci in bench/peers)"
(cd "$BENCH_DIR/peers" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error </dev/null >&2)

log "building Latchkey (Release)"
dotnet build "$REPO_ROOT/src/Latchkey.Server/Latchkey.Server.csproj" -c Release -v quiet -nologo </dev/null >&2
LATCHKEY_DLL="$REPO_ROOT/src/Latchkey.Server/bin/Release/net10.0/latchkey.dll"
[ -f "$LATCHKEY_DLL" ] || die "build output $LATCHKEY_DLL is missing"

# ---------------------------------------------------------------- scratch space and cleanup
WORK="$(mktemp -d "${TMPDIR:-/tmp}/latchkey-bench.XXXXXX")"
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

wait_for() { # url, pid, name
  for _ in $(seq 1 300); do
    kill -0 "$2" 2>/dev/null || { cat "$WORK/$3.log" >&2; die "$3 exited before listening"; }
    curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
    sleep 0.2
  done
  cat "$WORK/$3.log" >&2
  die "$3 did not answer on $1"
}

# ---------------------------------------------------------------- Latchkey: SQLite in a temp data dir, one client via the CLI
LATCHKEY_PORT=$(free_port)
LATCHKEY_URL="http://127.0.0.1:$LATCHKEY_PORT"
latchkey() {
  dotnet "$LATCHKEY_DLL" "$@" \
    "--Latchkey:DataDirectory=$WORK/latchkey-data" \
    "--Latchkey:Oidc:Issuer=$LATCHKEY_URL/" \
    "--Latchkey:Oidc:RequireHttps=false" \
    "--Logging:LogLevel:Default=Warning"
}
export ASPNETCORE_ENVIRONMENT=Production DOTNET_ENVIRONMENT=Production
export Latchkey__Bootstrap__AdminPassword="bench-$(head -c 18 /dev/urandom | base64 | tr -d '/+=')"

latchkey migrate </dev/null >"$WORK/migrate.log" 2>&1 || { cat "$WORK/migrate.log" >&2; die "latchkey migrate failed"; }
latchkey clients add bench-service --type confidential --grant client_credentials --json </dev/null >"$WORK/client.json" 2>"$WORK/client.err" \
  || { cat "$WORK/client.err" >&2; die "latchkey clients add failed"; }
read -r CLIENT_ID CLIENT_SECRET < <(python3 -c '
import json, sys
for line in open(sys.argv[1]):
    line = line.strip()
    if line.startswith("{"):
        data = json.loads(line); print(data["client_id"], data["client_secret"]); break
else:
    sys.exit("no JSON line from latchkey clients add")' "$WORK/client.json")
export BENCH_CLIENT_ID="$CLIENT_ID" BENCH_CLIENT_SECRET="$CLIENT_SECRET"
export BENCH_BASIC="$(printf '%s:%s' "$CLIENT_ID" "$CLIENT_SECRET" | base64 -w0)"

# ---------------------------------------------------------------- one server at a time
# Prints "pid" of the started server; its log goes to $WORK/<name>.log.
start_latchkey() {
  export ASPNETCORE_URLS="$LATCHKEY_URL"
  exec_in_background latchkey \
    dotnet "$LATCHKEY_DLL" serve "--Latchkey:DataDirectory=$WORK/latchkey-data" "--Latchkey:Oidc:Issuer=$LATCHKEY_URL/" \
    "--Latchkey:Oidc:RequireHttps=false" "--Logging:LogLevel:Default=Warning"
}
PROVIDER_PORT=$(free_port)
PROVIDER_URL="http://127.0.0.1:$PROVIDER_PORT"
start_provider() {
  exec_in_background oidc-provider node "$BENCH_DIR/peers/oidc-provider-server.mjs" --port "$PROVIDER_PORT"
}
exec_in_background() { # name, command...
  local name=$1; shift
  "$@" </dev/null >"$WORK/$name.log" 2>&1 &
  SERVER_PID=$!
  PIDS+=("$SERVER_PID")
}

cpu_seconds() { # pid → utime+stime in seconds
  awk -v ticks="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); printf "%.2f", ($12 + $13) / ticks }' "/proc/$1/stat"
}
peak_rss_mib() { awk '/^VmHWM:/ { printf "%.0f", $2 / 1024 }' "/proc/$1/status"; }

check_token() { # name, token url → prints the JWT header's alg/typ; fails unless 200 with a JWT
  local body
  body=$(curl -sS -w '\n%{http_code}' -u "$CLIENT_ID:$CLIENT_SECRET" -d grant_type=client_credentials "$2") || die "$1: token request failed"
  local status=${body##*$'\n'}
  body=${body%$'\n'*}
  [ "$status" = 200 ] || die "$1: token endpoint answered $status: $body"
  python3 -c '
import base64, json, sys
token = json.loads(sys.argv[1])["access_token"]
header = token.split(".")[0]
header += "=" * (-len(header) % 4)
h = json.loads(base64.urlsafe_b64decode(header))
print(h.get("alg"), h.get("typ"), len(token.split(".")))' "$body"
}

declare -A RPS P50 P99 CPU RSS REQS ERRS ALG TYP LOAD
measure() { # name, url
  local name=$1 url=$2 before after out
  log "$name: warm-up ${WARMUP}s"
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"${WARMUP}s" -s "$BENCH_DIR/client-credentials.lua" "$url" >"$WORK/$name-warmup.txt" 2>&1 \
    || { cat "$WORK/$name-warmup.txt" >&2; die "$name: wrk warm-up failed"; }
  log "$name: measuring ${DURATION}s"
  # The machine may be shared: the 1-minute load average says how busy it was besides this run.
  LOAD[$name]=$(cut -d' ' -f1 /proc/loadavg)
  before=$(cpu_seconds "$SERVER_PID")
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$BENCH_DIR/client-credentials.lua" "$url" >"$WORK/$name.txt" 2>&1 \
    || { cat "$WORK/$name.txt" >&2; die "$name: wrk failed"; }
  after=$(cpu_seconds "$SERVER_PID")
  RSS[$name]=$(peak_rss_mib "$SERVER_PID")
  CPU[$name]=$(awk -v a="$after" -v b="$before" 'BEGIN { printf "%.1f", a - b }')
  out=$(grep '^BENCH_RESULT' "$WORK/$name.txt") || { cat "$WORK/$name.txt" >&2; die "$name: no result line from wrk"; }
  eval "$(sed 's/^BENCH_RESULT //; s/\([a-z_0-9]*\)=/local \1=/g' <<<"$out")"
  REQS[$name]=$requests
  ERRS[$name]=$((status_errors + connect_errors + read_errors + write_errors + timeouts))
  RPS[$name]=$(awk -v r="$requests" -v d="$duration_us" 'BEGIN { printf "%.0f", r / (d / 1000000) }')
  P50[$name]=$(awk -v v="$p50_us" 'BEGIN { printf "%.2f", v / 1000 }')
  P99[$name]=$(awk -v v="$p99_us" 'BEGIN { printf "%.2f", v / 1000 }')
  sed -n '1,/^BENCH_RESULT/p' "$WORK/$name.txt" | grep -v '^BENCH_RESULT' >&2
}

stop_server() { kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; }

log "starting Latchkey on $LATCHKEY_URL"
start_latchkey
wait_for "$LATCHKEY_URL/.well-known/openid-configuration" "$SERVER_PID" latchkey
read -r ALG[latchkey] TYP[latchkey] parts < <(check_token latchkey "$LATCHKEY_URL/connect/token")
[ "$parts" = 3 ] || die "latchkey: the access token is not a signed JWT (JWS compact, 3 parts)"
measure latchkey "$LATCHKEY_URL/connect/token"
stop_server

log "starting oidc-provider on $PROVIDER_URL"
start_provider
wait_for "$PROVIDER_URL/.well-known/openid-configuration" "$SERVER_PID" oidc-provider
read -r ALG[oidc-provider] TYP[oidc-provider] parts < <(check_token oidc-provider "$PROVIDER_URL/token")
[ "$parts" = 3 ] || die "oidc-provider: the access token is not a signed JWT"
measure oidc-provider "$PROVIDER_URL/token"
stop_server

# ---------------------------------------------------------------- report
RATIO=$(awk -v a="${RPS[latchkey]}" -v b="${RPS[oidc-provider]}" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }')
MET=$(awk -v r="$RATIO" -v t="$TARGET_RATIO" 'BEGIN { print (r != "n/a" && r + 0 >= t + 0) ? "met" : "missed" }')
table() {
  echo "| server | token alg / typ | req/s | p50 ms | p99 ms | requests | errors | server CPU s | peak RSS MiB | load avg at start |"
  echo "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
  for name in latchkey oidc-provider; do
    echo "| $name | ${ALG[$name]} / ${TYP[$name]} | ${RPS[$name]} | ${P50[$name]} | ${P99[$name]} | ${REQS[$name]} | ${ERRS[$name]} | ${CPU[$name]} | ${RSS[$name]} | ${LOAD[$name]} |"
  done
  echo
  echo "Latchkey / oidc-provider: **${RATIO}×** (target ≥ ${TARGET_RATIO}×: $MET)."
}
table

if [ "$MODE" = smoke ]; then
  for name in latchkey oidc-provider; do
    [ "${REQS[$name]}" -gt 0 ] || die "$name answered no requests"
  done
  log "smoke: both servers answered ($(for n in latchkey oidc-provider; do printf '%s %s req ' "$n" "${REQS[$n]}"; done))"
  exit 0
fi

for name in latchkey oidc-provider; do
  [ "${ERRS[$name]}" -eq 0 ] || log "warning: $name had ${ERRS[$name]} errors (non-2xx or socket) during the measurement"
done

# Full mode: replace the generated section of docs/benchmarks.md, keeping the hand-written analysis.
DOC="$REPO_ROOT/docs/benchmarks.md"
GENERATED="$WORK/generated.md"
{
  echo "<!-- bench:begin (generated by bench/run.sh; edit outside these markers) -->"
  echo "### Client-credentials token endpoint — $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  table
  echo
  echo "Load: wrk ${THREADS} thread(s), ${CONNECTIONS} connections, ${WARMUP} s warm-up then ${DURATION} s measured, one server at a time;"
  echo "\`POST\` \`grant_type=client_credentials\` with HTTP Basic client authentication, the same client id and secret on both."
  echo "Server CPU s = user+system CPU time the server process used during the measured ${DURATION} s (2 cores → at most $((2 * DURATION)) s)."
  echo
  echo "Machine: $(lscpu | awk -F: '/^Model name/ { gsub(/^ +/, "", $2); print $2 }'), $(nproc) cores, $(free -g | awk '/^Mem:/ { print $2 }') GiB RAM, $(uname -sr);"
  echo ".NET SDK $(dotnet --version), Node $(node --version), $(wrk --version 2>&1 | head -n 1 | awk '{ print "wrk " $2 }'),"
  echo "oidc-provider $(node -p 'require(process.argv[1]).version' "$BENCH_DIR/peers/node_modules/oidc-provider/package.json"), Latchkey $(git -C "$REPO_ROOT" rev-parse --short HEAD) (Release, SQLite)."
  echo "<!-- bench:end -->"
} >"$GENERATED"
python3 - "$DOC" "$GENERATED" <<'PY'
import os, re, sys
doc, generated = sys.argv[1], open(sys.argv[2]).read().rstrip("\n")
text = open(doc).read() if os.path.exists(doc) else "# Benchmarks\n\nRun `bench/run.sh` to regenerate the figures below.\n\n<!-- bench:begin --><!-- bench:end -->\n"
pattern = re.compile(r"<!-- bench:begin.*?<!-- bench:end -->", re.S)
text = pattern.sub(lambda _: generated, text, count=1) if pattern.search(text) else text.rstrip("\n") + "\n\n" + generated + "\n"
open(doc, "w").write(text)
PY
log "wrote $DOC"
