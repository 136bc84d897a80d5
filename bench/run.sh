#!/usr/bin/env bash
# Latchkey's benchmark suite (issue 6): each scenario against its peer, in the same run on the same
# machine, one server at a time, wrk as the load generator (a Python driver where wrk cannot do it).
#   1. client-credentials token endpoint: Latchkey on SQLite and on PostgreSQL vs npm oidc-provider (RS256 JWTs)
#   2. refresh-token grant and introspection: Latchkey vs oidc-provider
#   3. full simple-sso flow with an existing session: Latchkey vs django-simple-sso 1.x under gunicorn
#   4. password sign-ins per second vs the raw PBKDF2 rate at the configured cost
#   5. idle RSS, RSS with 100,000 active sessions, cold start to the first 200
# Each row: throughput, p50/p99, the server's CPU seconds and peak RSS (from /proc); then every target with PASS/MISS.
#
#   bench/run.sh            full run (15 s warm-up + 10 s each); rewrites the generated part of docs/benchmarks.md
#   bench/run.sh --smoke    about 5 s per scenario; fails only if a scenario cannot run (never on speed)
#
# Environment: BENCH_CONNECTIONS (16), BENCH_THREADS (1), BENCH_WARMUP / BENCH_DURATION (seconds),
# BENCH_POSTGRES (base connection string, default Host=127.0.0.1;Port=55432;Username=postgres; "off" skips),
# BENCH_SESSIONS (100000), BENCH_DJANGO_SIMPLE_SSO (folder holding django-simple-sso 1.x's simple_sso package
# and the webservices package, see bench/README.md; without it that peer is skipped), BENCH_READY_TO_RUN (1 in
# the full run: publish with ReadyToRun; 0 builds only). Needs root (or wrk
# already installed), dotnet, node + npm, python3.
set -euo pipefail

cd "$(dirname "$0")/.."
REPO_ROOT="$(pwd)"
BENCH_DIR="$REPO_ROOT/bench"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

MODE=full
for argument in "$@"; do
  case "$argument" in
    --smoke) MODE=smoke ;;
    -h|--help) sed -n '2,21p' "$0"; exit 0 ;;
    *) echo "unknown argument: $argument" >&2; exit 2 ;;
  esac
done
if [ "$MODE" = smoke ]; then WARMUP=${BENCH_WARMUP:-2}; DURATION=${BENCH_DURATION:-3}; else WARMUP=${BENCH_WARMUP:-15}; DURATION=${BENCH_DURATION:-10}; fi
SESSIONS=${BENCH_SESSIONS:-$([ "$MODE" = smoke ] && echo 2000 || echo 100000)}
POSTGRES=${BENCH_POSTGRES:-Host=127.0.0.1;Port=55432;Username=postgres}
CONNECTIONS=${BENCH_CONNECTIONS:-16}
THREADS=${BENCH_THREADS:-1}

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

# The full run measures what a deployment runs: a Release publish with ReadyToRun code (start-up without
# JIT-compiling everything first; crossgen2 comes from the NuGet cache). The smoke run builds only.
READY_TO_RUN=${BENCH_READY_TO_RUN:-$([ "$MODE" = smoke ] && echo 0 || echo 1)}
PUBLISH_DIR="$(mktemp -d "${TMPDIR:-/tmp}/latchkey-bench-publish.XXXXXX")"
trap 'rm -rf "$PUBLISH_DIR"' EXIT
if [ "$READY_TO_RUN" = 1 ]; then
  log "publishing Latchkey (Release, ReadyToRun, linux-x64)"
  dotnet publish "$REPO_ROOT/src/Latchkey.Server/Latchkey.Server.csproj" -c Release -r linux-x64 --self-contained false \
    -p:PublishReadyToRun=true -o "$PUBLISH_DIR" -v quiet -nologo </dev/null >&2
  LATCHKEY_DLL="$PUBLISH_DIR/latchkey.dll"
else
  log "building Latchkey (Release)"
  dotnet build "$REPO_ROOT/src/Latchkey.Server/Latchkey.Server.csproj" -c Release -v quiet -nologo </dev/null >&2
  LATCHKEY_DLL="$REPO_ROOT/src/Latchkey.Server/bin/Release/net10.0/latchkey.dll"
fi
[ -f "$LATCHKEY_DLL" ] || die "build output $LATCHKEY_DLL is missing"

# ---------------------------------------------------------------- scratch space and cleanup
WORK="$(mktemp -d "${TMPDIR:-/tmp}/latchkey-bench.XXXXXX")"
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$WORK" "$PUBLISH_DIR"
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
# Rate limits stay on (there is no switch) but far above what one benchmark client sends; refresh tokens
# may be presented again for an hour so wrk can repeat one (each use still rotates and writes rows).
common_args() { # data dir, storage provider, connection string
  echo "--Latchkey:DataDirectory=$1"
  echo "--Latchkey:Oidc:Issuer=$LATCHKEY_URL/"
  echo "--Latchkey:Oidc:RequireHttps=false"
  echo "--Logging:LogLevel:Default=Warning"
  echo "--Latchkey:Oidc:RefreshTokenReuseLeeway=01:00:00"
  for policy in Login Token; do for scope in PerIp PerAccount; do
    echo "--Latchkey:RateLimits:$policy:$scope:PermitLimit=100000000"
  done; done
  if [ "$2" = PostgreSql ]; then echo "--Latchkey:Storage:Provider=PostgreSql"; echo "--Latchkey:Storage:ConnectionString=$3"; fi
}
STORE_DIR="$WORK/latchkey-data"; STORE_PROVIDER=Sqlite; STORE_CONNECTION=""
latchkey() {
  local args; mapfile -t args < <(common_args "$STORE_DIR" "$STORE_PROVIDER" "$STORE_CONNECTION")
  dotnet "$LATCHKEY_DLL" "$@" "${args[@]}"
}
export ASPNETCORE_ENVIRONMENT=Production DOTNET_ENVIRONMENT=Production
export Latchkey__Bootstrap__AdminPassword="bench-$(head -c 18 /dev/urandom | base64 | tr -d '/+=')"

BENCH_USER=bench-user
BENCH_PASSWORD="bench-password-$(head -c 12 /dev/urandom | base64 | tr -d '/+=')"
REDIRECT_URI="http://127.0.0.1/bench/callback"
# Prepares the current store: migrations, one machine client, one web client, one user. Sets CLIENT_ID/CLIENT_SECRET, WEB_ID/WEB_SECRET.
prepare_store() {
  latchkey migrate </dev/null >"$WORK/migrate.log" 2>&1 || { cat "$WORK/migrate.log" >&2; die "latchkey migrate failed"; }
  latchkey clients add bench-service --type confidential --grant client_credentials --json </dev/null >"$WORK/client.json" 2>"$WORK/client.err" \
    || { cat "$WORK/client.err" >&2; die "latchkey clients add failed"; }
  read -r CLIENT_ID CLIENT_SECRET < <(json_client "$WORK/client.json")
  latchkey clients add bench-web --type confidential --grant authorization_code --grant refresh_token --redirect-uri "$REDIRECT_URI" \
    --scope openid --scope offline_access --first-party --json </dev/null >"$WORK/web.json" 2>"$WORK/web.err" \
    || { cat "$WORK/web.err" >&2; die "latchkey clients add (web) failed"; }
  read -r WEB_ID WEB_SECRET < <(json_client "$WORK/web.json")
  printf '%s\n' "$BENCH_PASSWORD" | latchkey users add "$BENCH_USER" --email bench@example.test --password-stdin >"$WORK/user.log" 2>&1 \
    || { cat "$WORK/user.log" >&2; die "latchkey users add failed"; }
}
json_client() {
  python3 -c '
import json, sys
for line in open(sys.argv[1]):
    line = line.strip()
    if line.startswith("{"):
        data = json.loads(line); print(data["client_id"], data["client_secret"]); break
else:
    sys.exit("no JSON line from latchkey clients add")' "$1"
}
basic() { printf '%s:%s' "$1" "$2" | base64 -w0; }

# ---------------------------------------------------------------- servers, one at a time
SERVER_PID=""
exec_in_background() { # name, command...
  local name=$1; shift
  "$@" </dev/null >"$WORK/$name.log" 2>&1 &
  SERVER_PID=$!
  PIDS+=("$SERVER_PID")
}
start_latchkey() { # log name
  local args; mapfile -t args < <(common_args "$STORE_DIR" "$STORE_PROVIDER" "$STORE_CONNECTION")
  ASPNETCORE_URLS="$LATCHKEY_URL" exec_in_background "$1" dotnet "$LATCHKEY_DLL" serve "${args[@]}"
  wait_for "$LATCHKEY_URL/.well-known/openid-configuration" "$SERVER_PID" "$1"
}
PROVIDER_PORT=$(free_port)
PROVIDER_URL="http://127.0.0.1:$PROVIDER_PORT"
start_provider() {
  BENCH_CLIENT_ID="$CLIENT_ID" BENCH_CLIENT_SECRET="$CLIENT_SECRET" \
    exec_in_background oidc-provider node "$BENCH_DIR/peers/oidc-provider-server.mjs" --port "$PROVIDER_PORT"
  wait_for "$PROVIDER_URL/.well-known/openid-configuration" "$SERVER_PID" oidc-provider
  PROVIDER_REFRESH=$(awk '/^refresh_token / { print $2; exit }' "$WORK/oidc-provider.log")
}
stop_server() { kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""; }

# CPU and peak RSS cover the server process and its descendants: gunicorn's workers are child processes
# (for the single-process servers this is the process itself). A process that exits meanwhile is skipped.
tree_pids() { # pid → that pid and its descendants' pids
  local child
  echo "$1"
  for child in $(cat /proc/"$1"/task/*/children 2>/dev/null || true); do tree_pids "$child"; done
}
tree_files() { # pid, file under /proc/<pid>/ → the concatenated files of the process tree
  local pid files=()
  for pid in $(tree_pids "$1"); do files+=("/proc/$pid/$2"); done
  cat "${files[@]}" 2>/dev/null || true
}
cpu_seconds() { # pid → utime+stime in seconds (summed over the process tree)
  tree_files "$1" stat | awk -v ticks="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); sum += $12 + $13 } END { printf "%.2f", sum / ticks }'
}
peak_rss_mib() { tree_files "$1" status | awk '/^VmHWM:/ { kb += $2 } END { printf "%.0f", kb / 1024 }'; } # summed over the tree
rss_mib() { awk '/^VmRSS:/ { printf "%.0f", $2 / 1024 }' "/proc/$1/status"; }

check_jwt() { # name, curl args... → prints "alg/typ" of the access token; fails unless 200 with a JWS
  local name=$1; shift
  local body status
  body=$(curl -sS -w '\n%{http_code}' "$@") || die "$name: request failed"
  status=${body##*$'\n'}; body=${body%$'\n'*}
  [ "$status" = 200 ] || die "$name: answered $status: $body"
  python3 -c '
import base64, json, sys
token = json.loads(sys.argv[1])["access_token"]
parts = token.split(".")
if len(parts) != 3: print("opaque"); sys.exit(0)
h = json.loads(base64.urlsafe_b64decode(parts[0] + "=" * (-len(parts[0]) % 4)))
print(str(h.get("alg")) + "/" + str(h.get("typ")))' "$body"
}

RESULTS="$WORK/results.tsv"; TARGETS="$WORK/targets.tsv"; FAILED=()
: >"$RESULTS"; : >"$TARGETS"
declare -A RPS P50 P99 CPU_PER
record() { # scenario, server, note, BENCH_RESULT line, cpu seconds, peak rss
  local scenario=$1 server=$2 note=$3 line=$4 cpu=$5 rss=$6
  eval "$(sed 's/^BENCH_RESULT //; s/\([a-z_0-9]*\)=/local \1=/g' <<<"$line")"
  local errors=$((status_errors + connect_errors + read_errors + write_errors + timeouts))
  local rps p50 p99
  # Whole numbers, except for slow scenarios (password sign-ins) where rounding would hide the figure.
  rps=$(awk -v r="$requests" -v d="$duration_us" 'BEGIN { v = (d > 0) ? r / (d / 1000000) : 0; printf (v >= 100 ? "%.0f" : "%.2f"), v }')
  p50=$(awk -v v="$p50_us" 'BEGIN { printf "%.2f", v / 1000 }'); p99=$(awk -v v="$p99_us" 'BEGIN { printf "%.2f", v / 1000 }')
  row "$scenario" "$server" "$rps" "$p50" "$p99" "$requests" "$errors" "$cpu" "$rss" "$note"
  RPS["$scenario/$server"]=$rps; P50["$scenario/$server"]=$p50; P99["$scenario/$server"]=$p99
  CPU_PER["$scenario/$server"]=$(awk -v c="$cpu" -v r="$requests" 'BEGIN { printf "%.3f", (r > 0) ? 1000 * c / r : 0 }')
  if [ "$requests" -eq 0 ]; then
    # A smoke run on a busy machine may finish no request within its 3 s; the functional check before it already passed.
    if [ "$MODE" = smoke ]; then log "warning: $scenario/$server completed no request within the smoke window"; else FAILED+=("$scenario/$server answered no requests"); fi
  fi
  log "$scenario / $server: $rps req/s, p50 $p50 ms, p99 $p99 ms, $requests requests, $errors errors, CPU $cpu s, peak RSS $rss MiB"
}
# Rows are joined with the ASCII unit separator: tabs would collapse empty fields when read back.
row() { local IFS=$'\x1f'; echo "$*" >>"$RESULTS"; }
target() { local IFS=$'\x1f'; echo "$*" >>"$TARGETS"; }
pass_if() { awk -v a="$1" -v b="$2" 'BEGIN { print (a == "" || b == "") ? "NOT MEASURED" : (a + 0 >= b + 0) ? "PASS" : "MISS" }'; }

wrk_run() { # scenario, server, url, body, basic, [connections], note, [pause ms] → records a row (server must be $SERVER_PID)
  local scenario=$1 server=$2 url=$3 connections=${6:-$CONNECTIONS} before after out
  export BENCH_BODY="$4" BENCH_BASIC="$5" BENCH_DELAY_MS="${8:-0}"
  wrk -t"$THREADS" -c"$connections" -d"${WARMUP}s" --timeout 10s -s "$BENCH_DIR/client-credentials.lua" "$url" >"$WORK/wrk-warmup.txt" 2>&1 \
    || { cat "$WORK/wrk-warmup.txt" >&2; FAILED+=("$scenario/$server: wrk warm-up failed"); return 0; }
  before=$(cpu_seconds "$SERVER_PID")
  wrk -t"$THREADS" -c"$connections" -d"${DURATION}s" --timeout 10s --latency -s "$BENCH_DIR/client-credentials.lua" "$url" >"$WORK/wrk.txt" 2>&1 \
    || { cat "$WORK/wrk.txt" >&2; FAILED+=("$scenario/$server: wrk failed"); return 0; }
  after=$(cpu_seconds "$SERVER_PID")
  out=$(grep '^BENCH_RESULT' "$WORK/wrk.txt") || { cat "$WORK/wrk.txt" >&2; FAILED+=("$scenario/$server: no wrk result"); return 0; }
  record "$scenario" "$server" "$7" "$out" "$(awk -v a="$after" -v b="$before" 'BEGIN { printf "%.1f", a - b }')" "$(peak_rss_mib "$SERVER_PID")"
}

# ---------------------------------------------------------------- 1 + 2: OIDC token endpoint, refresh, introspection
oidc_scenarios() { # label of the Latchkey server (latchkey-sqlite | latchkey-postgresql); full set only on SQLite
  local server=$1 refresh alg
  start_latchkey "$server"
  alg=$(check_jwt "$server" -u "$CLIENT_ID:$CLIENT_SECRET" -d grant_type=client_credentials "$LATCHKEY_URL/connect/token")
  wrk_run client-credentials "$server" "$LATCHKEY_URL/connect/token" grant_type=client_credentials "$(basic "$CLIENT_ID" "$CLIENT_SECRET")" "" "$alg"
  if [ "$server" = latchkey-sqlite ] && awk -v r="${RPS[client-credentials/$server]:-0}" 'BEGIN { exit !(r > 0) }'; then
    # Half of the peak just measured: each connection pauses so that CONNECTIONS × (latency + pause) ≈ 2 / peak.
    local pause
    pause=$(awk -v c="$CONNECTIONS" -v r="${RPS[client-credentials/$server]}" -v p50="${P50[client-credentials/$server]}" \
      'BEGIN { d = 1000 * c / (r / 2) - p50; printf "%d", (d < 1) ? 1 : d }')
    wrk_run client-credentials-half-load "$server" "$LATCHKEY_URL/connect/token" grant_type=client_credentials \
      "$(basic "$CLIENT_ID" "$CLIENT_SECRET")" "" "paced: each connection pauses ${pause} ms after a response (target ≈ half of peak)" "$pause"
  fi
  if [ "$server" = latchkey-sqlite ]; then
    refresh=$(python3 "$BENCH_DIR/tools/benchtool.py" refresh-token "$LATCHKEY_URL" "$WEB_ID" "$WEB_SECRET" "$REDIRECT_URI" "$BENCH_USER" "$BENCH_PASSWORD") \
      || { FAILED+=("refresh/$server: could not obtain a refresh token through the login form and code flow"); stop_server; return 0; }
    alg=$(check_jwt "$server refresh" -u "$WEB_ID:$WEB_SECRET" -d grant_type=refresh_token -d "refresh_token=$refresh" "$LATCHKEY_URL/connect/token")
    wrk_run refresh-token "$server" "$LATCHKEY_URL/connect/token" "grant_type=refresh_token&refresh_token=$refresh" "$(basic "$WEB_ID" "$WEB_SECRET")" "" \
      "access $alg + id_token + rotated refresh token (rows written)"
    wrk_run introspection "$server" "$LATCHKEY_URL/connect/introspect" "token=$refresh" "$(basic "$WEB_ID" "$WEB_SECRET")" "" "a refresh token (decrypt + row lookup)"
  fi
  stop_server
}

log "scenario 1+2: Latchkey on SQLite"
STORE_DIR="$WORK/latchkey-sqlite"; STORE_PROVIDER=Sqlite; STORE_CONNECTION=""
prepare_store
SQLITE_CLIENT_ID=$CLIENT_ID; SQLITE_CLIENT_SECRET=$CLIENT_SECRET
oidc_scenarios latchkey-sqlite

if [ "$POSTGRES" != off ] && python3 -c 'import re, socket, sys
c = dict(p.split("=", 1) for p in sys.argv[1].split(";") if "=" in p)
socket.create_connection((c.get("Host", "127.0.0.1"), int(c.get("Port", 5432))), timeout=2).close()' "$POSTGRES" 2>/dev/null; then
  log "scenario 1: Latchkey on PostgreSQL"
  STORE_DIR="$WORK/latchkey-postgresql"; STORE_PROVIDER=PostgreSql
  STORE_CONNECTION="$POSTGRES;Database=latchkey_bench_$(date +%s)_$$"
  prepare_store
  oidc_scenarios latchkey-postgresql
else
  log "scenario 1: PostgreSQL not reachable ($POSTGRES): Latchkey on PostgreSQL skipped"
  row client-credentials latchkey-postgresql "" "" "" "" "" "" "" "skipped: no PostgreSQL at BENCH_POSTGRES"
fi
STORE_DIR="$WORK/latchkey-sqlite"; STORE_PROVIDER=Sqlite; STORE_CONNECTION=""
CLIENT_ID=$SQLITE_CLIENT_ID; CLIENT_SECRET=$SQLITE_CLIENT_SECRET

log "scenario 1+2: oidc-provider"
start_provider
alg=$(check_jwt oidc-provider -u "$CLIENT_ID:$CLIENT_SECRET" -d grant_type=client_credentials "$PROVIDER_URL/token")
wrk_run client-credentials oidc-provider "$PROVIDER_URL/token" grant_type=client_credentials "$(basic "$CLIENT_ID" "$CLIENT_SECRET")" "" "$alg"
if [ -n "${PROVIDER_REFRESH:-}" ]; then
  alg=$(check_jwt "oidc-provider refresh" -u "$CLIENT_ID:$CLIENT_SECRET" -d grant_type=refresh_token -d "refresh_token=$PROVIDER_REFRESH" "$PROVIDER_URL/token")
  wrk_run refresh-token oidc-provider "$PROVIDER_URL/token" "grant_type=refresh_token&refresh_token=$PROVIDER_REFRESH" "$(basic "$CLIENT_ID" "$CLIENT_SECRET")" "" \
    "access $alg + id_token, refresh token not rotated (in-memory)"
  wrk_run introspection oidc-provider "$PROVIDER_URL/token/introspection" "token=$PROVIDER_REFRESH" "$(basic "$CLIENT_ID" "$CLIENT_SECRET")" "" "a refresh token (in-memory lookup)"
else
  FAILED+=("oidc-provider printed no refresh token")
fi
stop_server

# ---------------------------------------------------------------- 3: simple-sso flow
# One flow = request-token (signed POST) + authorize (browser GET with an existing SSO session cookie) +
# verify (signed POST), driven by tools/sso-flow-driver.mjs (Node, keep-alive connections, a cookie jar per
# loop like a browser): wrk cannot sign (HMAC-SHA1) bodies. The driver shares the cores with the server, so its
# own CPU is reported in the note. BENCH_SSO_PROCESSES driver processes × BENCH_SSO_THREADS concurrent flows each.
SSO_PROCS=${BENCH_SSO_PROCESSES:-2}; SSO_THREADS=${BENCH_SSO_THREADS:-8}
sso_flows() { # scenario server, base url, public, private, redirect_to, cookie
  local before after out driver_before driver_after
  node "$BENCH_DIR/tools/sso-flow-driver.mjs" "$2" "$3" "$4" "$5" "$6" "$WARMUP" "$SSO_PROCS" "$SSO_THREADS" >/dev/null 2>"$WORK/sso-warmup.err" || true
  before=$(cpu_seconds "$SERVER_PID")
  driver_before=$(awk '{ print $14 + $15 + $16 + $17 }' /proc/$$/stat)
  out=$(node "$BENCH_DIR/tools/sso-flow-driver.mjs" "$2" "$3" "$4" "$5" "$6" "$DURATION" "$SSO_PROCS" "$SSO_THREADS" 2>"$WORK/sso.err") \
    || { cat "$WORK/sso.err" >&2; FAILED+=("simple-sso-flow/$1: driver failed"); return 0; }
  after=$(cpu_seconds "$SERVER_PID")
  driver_after=$(awk '{ print $14 + $15 + $16 + $17 }' /proc/$$/stat)
  head -n 3 "$WORK/sso.err" >&2
  record simple-sso-flow "$1" "flows/s (3 requests each); driver CPU $(awk -v a="$driver_after" -v b="$driver_before" -v t="$(getconf CLK_TCK)" 'BEGIN { printf "%.1f", (a - b) / t }') s" \
    "$out" "$(awk -v a="$after" -v b="$before" 'BEGIN { printf "%.1f", a - b }')" "$(peak_rss_mib "$SERVER_PID")"
}
log "scenario 3: full simple-sso flow with an existing session"
SSO_REDIRECT="http://127.0.0.1:9/sso/authenticate/?next=%2F"
latchkey consumers add bench-app --redirect-origin http://127.0.0.1:9 --json </dev/null >"$WORK/consumer.json" 2>"$WORK/consumer.err" \
  || { cat "$WORK/consumer.err" >&2; die "latchkey consumers add failed"; }
read -r SSO_PUBLIC SSO_PRIVATE < <(python3 -c 'import json, sys
for line in open(sys.argv[1]):
    if line.strip().startswith("{"):
        d = json.loads(line); print(d["public_key"], d["private_key"]); break' "$WORK/consumer.json")
start_latchkey latchkey-sso
SSO_COOKIE=$(python3 "$BENCH_DIR/tools/benchtool.py" session-cookie "$LATCHKEY_URL" "$BENCH_USER" "$BENCH_PASSWORD") || FAILED+=("simple-sso-flow: sign-in failed")
[ -n "${SSO_COOKIE:-}" ] && sso_flows latchkey-sqlite "$LATCHKEY_URL/sso/" "$SSO_PUBLIC" "$SSO_PRIVATE" "$SSO_REDIRECT" "$SSO_COOKIE"
stop_server

# django-simple-sso is not in Debian and the bench downloads nothing: BENCH_DJANGO_SIMPLE_SSO names a folder
# holding the simple_sso package of django-simple-sso 1.x and, unless /usr/bin/python3 already imports it,
# the webservices package simple_sso's server imports (bench/README.md says where both come from). They run
# from a scratch copy in $WORK; the supplied folder is only read. webservices 0.5 is Python 2 code
# (`import urlparse`): when the copy does not import, it is converted to Python 3 with the standard
# library's lib2to3 (Debian python3-lib2to3), on the copy only. /usr/bin/python3 is Debian's interpreter with
# python3-django, whatever `python3` comes first on PATH.
DJANGO_PYTHON=/usr/bin/python3
django_skip() { # reason, [failure] → an empty row with the reason; with "failure" the suite also fails at the end
  log "django-simple-sso: $1"
  row simple-sso-flow django-simple-sso "" "" "" "" "" "" "" "not run: $1"
  if [ "${2:-}" = failure ]; then FAILED+=("simple-sso-flow/django-simple-sso: $1"); fi
}
django_apt() { # packages... → installs them when root (false otherwise)
  [ "$(id -u)" = 0 ] || return 1
  log "installing $* (apt)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" </dev/null >/dev/null \
    || { apt-get update -qq </dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" </dev/null >/dev/null; }
}
django_peer() {
  local src=$BENCH_DJANGO_SIMPLE_SSO public private session port
  [ -d "$src/simple_sso/sso_server" ] \
    || { django_skip "BENCH_DJANGO_SIMPLE_SSO=$src holds no simple_sso/sso_server (see bench/README.md)" failure; return 0; }
  if ! "$DJANGO_PYTHON" -c 'import django, gunicorn, itsdangerous, requests' 2>/dev/null; then
    django_apt python3-django gunicorn python3-itsdangerous python3-requests \
      || { django_skip "$DJANGO_PYTHON lacks Django, gunicorn, itsdangerous or requests (apt-get install python3-django gunicorn python3-itsdangerous python3-requests)" failure; return 0; }
  fi
  local copy="$WORK/django-simple-sso"
  mkdir -p "$copy"
  cp -R "$src/simple_sso" "$copy/"
  if [ -d "$src/webservices" ]; then cp -R "$src/webservices" "$copy/"; fi
  # The peer's module path, settings, database and secret (one secret for setup_peer.py and every worker).
  local django_env=(env PYTHONPATH="$BENCH_DIR/peers/django-sso:$copy" DJANGO_SETTINGS_MODULE=benchsso.settings
    BENCH_DJANGO_DB="$WORK/django.sqlite3" BENCH_DJANGO_SECRET="$(head -c 32 /dev/urandom | base64 -w0)")
  if ! "${django_env[@]}" "$DJANGO_PYTHON" -c 'import webservices.models, webservices.sync' 2>/dev/null && [ -d "$copy/webservices" ]; then
    "$DJANGO_PYTHON" -c 'import lib2to3' 2>/dev/null || django_apt python3-lib2to3 \
      || { django_skip "webservices needs converting to Python 3 and lib2to3 is missing (apt-get install python3-lib2to3)" failure; return 0; }
    log "django-simple-sso: converting the scratch copy of webservices to Python 3 (lib2to3)"
    "$DJANGO_PYTHON" -W ignore::DeprecationWarning -m lib2to3 --write --nobackups "$copy/webservices" >"$WORK/webservices-2to3.log" 2>&1 \
      || { cat "$WORK/webservices-2to3.log" >&2; django_skip "lib2to3 could not convert webservices" failure; return 0; }
  fi
  "${django_env[@]}" "$DJANGO_PYTHON" -c 'import simple_sso.sso_server, webservices.models, webservices.sync' 2>"$WORK/django-import.err" \
    || { cat "$WORK/django-import.err" >&2; django_skip "simple_sso or webservices does not import (webservices goes next to simple_sso, see bench/README.md)" failure; return 0; }
  "${django_env[@]}" "$DJANGO_PYTHON" "$BENCH_DIR/peers/django-sso/setup_peer.py" "$BENCH_USER" "$BENCH_PASSWORD" http://127.0.0.1:9 \
    >"$WORK/django-setup.txt" 2>"$WORK/django-setup.err" \
    || { cat "$WORK/django-setup.err" >&2; django_skip "setup_peer.py failed" failure; return 0; }
  read -r public private session <"$WORK/django-setup.txt"
  port=$(free_port)
  # gunicorn's sync workers, one per core: the usual production setting for a CPU-bound Django app. No access
  # log (Latchkey logs at Warning too). env execs Python, so the server pid is gunicorn's master; the workers
  # are its children, which cpu_seconds and peak_rss_mib include.
  exec_in_background django-simple-sso "${django_env[@]}" "$DJANGO_PYTHON" -m gunicorn --workers "$(nproc)" --bind "127.0.0.1:$port" \
    --log-level warning benchsso.wsgi
  wait_for "http://127.0.0.1:$port/healthz" "$SERVER_PID" django-simple-sso
  log "django-simple-sso: gunicorn master $SERVER_PID, workers $(tree_pids "$SERVER_PID" | tail -n +2 | paste -sd ' ')"
  sso_flows django-simple-sso "http://127.0.0.1:$port/server/" "$public" "$private" "$SSO_REDIRECT" "sessionid=$session"
  stop_server
}
if [ -n "${BENCH_DJANGO_SIMPLE_SSO:-}" ]; then
  django_peer
else
  log "django-simple-sso skipped: set BENCH_DJANGO_SIMPLE_SSO to a folder holding the simple_sso package of django-simple-sso 1.x and the webservices package (bench/README.md); nothing is downloaded"
  row simple-sso-flow django-simple-sso "" "" "" "" "" "" "" "skipped: BENCH_DJANGO_SIMPLE_SSO not set"
fi

# ---------------------------------------------------------------- 4: password sign-ins vs raw PBKDF2
log "scenario 4: password sign-ins vs the raw PBKDF2 rate"
ITERATIONS=${BENCH_PASSWORD_ITERATIONS:-600000}
HASH_SECONDS=$([ "$MODE" = smoke ] && echo 2 || echo "$DURATION")
start_latchkey latchkey-signins
python3 "$BENCH_DIR/tools/benchtool.py" signins "$LATCHKEY_URL" "$BENCH_USER" "$BENCH_PASSWORD" 1 2 >/dev/null || true
before=$(cpu_seconds "$SERVER_PID")
out=$(python3 "$BENCH_DIR/tools/benchtool.py" signins "$LATCHKEY_URL" "$BENCH_USER" "$BENCH_PASSWORD" "$HASH_SECONDS" 4) || FAILED+=("signins: driver failed")
after=$(cpu_seconds "$SERVER_PID")
[ -n "$out" ] && record password-signin latchkey-sqlite "GET login + POST, PBKDF2-HMAC-SHA512 × $ITERATIONS" "$out" \
  "$(awk -v a="$after" -v b="$before" 'BEGIN { printf "%.1f", a - b }')" "$(peak_rss_mib "$SERVER_PID")"
stop_server
HASH_RATE=$(python3 "$BENCH_DIR/tools/benchtool.py" hashrate "$ITERATIONS" "$HASH_SECONDS" "$(nproc)") || FAILED+=("hashrate failed")
row password-signin "raw PBKDF2 (OpenSSL via Python, $(nproc) processes)" "$HASH_RATE" "" "" "" "" "" "" "hashes/s, same PRF and iterations"

# ---------------------------------------------------------------- 5: memory and cold start
log "scenario 5: cold start, idle RSS, RSS with $SESSIONS active sessions"
ASPNETCORE_URLS="$LATCHKEY_URL"
mapfile -t args < <(common_args "$STORE_DIR" Sqlite "")
started=$(date +%s%N)
ASPNETCORE_URLS="$LATCHKEY_URL" exec_in_background latchkey-cold dotnet "$LATCHKEY_DLL" serve "${args[@]}"
COLD_MS=""
for _ in $(seq 1 1500); do
  if curl -fsS -o /dev/null "$LATCHKEY_URL/.well-known/openid-configuration" 2>/dev/null; then COLD_MS=$(( ($(date +%s%N) - started) / 1000000 )); break; fi
  kill -0 "$SERVER_PID" 2>/dev/null || break
  sleep 0.01
done
[ -n "$COLD_MS" ] || FAILED+=("cold start: no 200")
sleep 2
IDLE_RSS=$(rss_mib "$SERVER_PID")
stop_server
USER_ID=$(python3 -c 'import sqlite3, sys
print(sqlite3.connect(sys.argv[1]).execute("SELECT Id FROM AspNetUsers WHERE UserName = ?", (sys.argv[2],)).fetchone()[0])' "$STORE_DIR/latchkey.db" "$BENCH_USER")
ACTIVE=$(python3 "$BENCH_DIR/tools/benchtool.py" seed-sessions "$STORE_DIR/latchkey.db" "$USER_ID" "$SESSIONS") || FAILED+=("seeding sessions failed")
start_latchkey latchkey-sessions
# Touch what a busy node touches: the token endpoint, discovery, a sign-in (which lists/starts sessions).
python3 "$BENCH_DIR/tools/benchtool.py" signins "$LATCHKEY_URL" "$BENCH_USER" "$BENCH_PASSWORD" 1 1 >/dev/null || true
curl -fsS -o /dev/null -u "$CLIENT_ID:$CLIENT_SECRET" -d grant_type=client_credentials "$LATCHKEY_URL/connect/token" || true
sleep 1
SESSIONS_RSS=$(rss_mib "$SERVER_PID"); SESSIONS_PEAK=$(peak_rss_mib "$SERVER_PID")
stop_server
row memory latchkey-sqlite "" "" "" "" "" "" "$SESSIONS_PEAK" \
  "cold start to first 200: ${COLD_MS:-?} ms; idle RSS ${IDLE_RSS:-?} MiB; RSS with ${ACTIVE:-?} active sessions in the DB: ${SESSIONS_RSS:-?} MiB"

# ---------------------------------------------------------------- targets
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a != "" && b + 0 > 0) printf "%.2f", a / b; else print "" }'; }
CC_RATIO=$(ratio "${RPS[client-credentials/latchkey-sqlite]:-}" "${RPS[client-credentials/oidc-provider]:-}")
target "client credentials ≥ 2× oidc-provider (same alg)" "${CC_RATIO:-n/a}×" "$(pass_if "$CC_RATIO" 2)"
SIGN_RATE=$(node -e '
const { generateKeyPairSync, sign } = require("node:crypto");
const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const data = Buffer.alloc(300, 1); let n = 0; const end = Date.now() + 2000;
while (Date.now() < end) { sign("sha256", data, privateKey); n++; }
console.log((n / 2 * require("node:os").availableParallelism()).toFixed(0));')
SIGN_SHARE=$(awk -v a="${RPS[client-credentials/latchkey-sqlite]:-}" -v b="$SIGN_RATE" 'BEGIN { if (a != "" && b > 0) printf "%.0f", 100 * a / b }')
target "client credentials ≥ 60% of raw RS256 signing rate (${SIGN_RATE}/s on $(nproc) cores, OpenSSL via Node)" "${SIGN_SHARE:-n/a}%" "$(pass_if "$SIGN_SHARE" 60)"
SSO_RATE=${RPS[simple-sso-flow/latchkey-sqlite]:-}
target "full simple-sso flows ≥ 1,000/s" "${SSO_RATE:-n/a}/s" "$(pass_if "$SSO_RATE" 1000)"
SSO_RATIO=$(ratio "$SSO_RATE" "${RPS[simple-sso-flow/django-simple-sso]:-}")
target "full simple-sso flows ≥ 20× django-simple-sso" "${SSO_RATIO:-n/a}×" "$(pass_if "$SSO_RATIO" 20)"
SIGNIN_SHARE=$(awk -v a="${RPS[password-signin/latchkey-sqlite]:-}" -v b="${HASH_RATE:-}" 'BEGIN { if (a != "" && b > 0) printf "%.0f", 100 * a / b }')
target "password sign-ins ≥ 80% of raw hash rate (${HASH_RATE:-?}/s)" "${SIGNIN_SHARE:-n/a}% (${RPS[password-signin/latchkey-sqlite]:-?}/s)" "$(pass_if "$SIGNIN_SHARE" 80)"
HALF_RPS=${RPS[client-credentials-half-load/latchkey-sqlite]:-}; HALF_P99=${P99[client-credentials-half-load/latchkey-sqlite]:-}
target "p99 < 20 ms at half of peak throughput (client credentials)" "p99 ${HALF_P99:-?} ms at ${HALF_RPS:-?} req/s (peak ${RPS[client-credentials/latchkey-sqlite]:-?})" \
  "$([ -z "$HALF_P99" ] && echo "NOT MEASURED" || awk -v p="$HALF_P99" 'BEGIN { print (p + 0 < 20) ? "PASS" : "MISS" }')"
target "idle RSS < 200 MB" "${IDLE_RSS:-?} MiB" "$(awk -v a="${IDLE_RSS:-}" 'BEGIN { print (a != "" && a * 1.048576 < 200) ? "PASS" : "MISS" }')"
target "cold start < 2 s" "${COLD_MS:-?} ms" "$(awk -v a="${COLD_MS:-}" 'BEGIN { print (a != "" && a < 2000) ? "PASS" : "MISS" }')"

# ---------------------------------------------------------------- report
tables() {
  echo "| scenario | server | req/s | p50 ms | p99 ms | requests | errors | server CPU s | peak RSS MiB | notes |"
  echo "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"
  while IFS=$'\x1f' read -r scenario server rps p50 p99 requests errors cpu rss note; do
    echo "| $scenario | $server | $rps | $p50 | $p99 | $requests | $errors | $cpu | $rss | $note |"
  done <"$RESULTS"
  echo
  echo "| target | measured | result |"
  echo "| --- | --- | --- |"
  while IFS=$'\x1f' read -r name measured status; do echo "| $name | $measured | **$status** |"; done <"$TARGETS"
}
tables

if ((${#FAILED[@]})); then
  for failure in "${FAILED[@]}"; do log "FAILED: $failure"; done
  die "${#FAILED[@]} scenario(s) did not run"
fi
if [ "$MODE" = smoke ]; then
  log "smoke: every available scenario ran (figures from a smoke run mean nothing)"
  exit 0
fi

DOC="$REPO_ROOT/docs/benchmarks.md"
GENERATED="$WORK/generated.md"
{
  echo "<!-- bench:begin (generated by bench/run.sh; edit outside these markers) -->"
  echo "### Benchmark suite — $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  tables
  echo
  echo "Load: wrk ${THREADS} thread(s), ${CONNECTIONS} connections, ${WARMUP} s warm-up then ${DURATION} s measured, one server at a time."
  echo "Server CPU s = user+system CPU time of the server process during the measured window ($(nproc) cores → at most $(( $(nproc) * DURATION )) s)."
  echo "Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)."
  echo
  echo "Machine: $(lscpu | awk -F: '/^Model name/ { gsub(/^ +/, "", $2); print $2 }'), $(nproc) cores, $(free -g | awk '/^Mem:/ { print $2 }') GiB RAM, $(uname -sr);"
  echo ".NET SDK $(dotnet --version), Node $(node --version), $(wrk --version 2>&1 | head -n 1 | awk '{ print "wrk " $2 }'),"
  echo "oidc-provider $(node -p 'require(process.argv[1]).version' "$BENCH_DIR/peers/node_modules/oidc-provider/package.json"), Latchkey $(git -C "$REPO_ROOT" rev-parse --short HEAD) (Release$([ "$READY_TO_RUN" = 1 ] && echo ', ReadyToRun'))."
  echo "<!-- bench:end -->"
} >"$GENERATED"
python3 - "$DOC" "$GENERATED" <<'PY'
import os, re, sys
doc, generated = sys.argv[1], open(sys.argv[2]).read().rstrip("\n")
text = open(doc).read() if os.path.exists(doc) else "# Benchmarks\n\n<!-- bench:begin --><!-- bench:end -->\n"
pattern = re.compile(r"<!-- bench:begin.*?<!-- bench:end -->", re.S)
text = pattern.sub(lambda _: generated, text, count=1) if pattern.search(text) else text.rstrip("\n") + "\n\n" + generated + "\n"
open(doc, "w").write(text)
PY
log "wrote $DOC"
