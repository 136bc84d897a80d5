#!/usr/bin/env python3
"""Helpers for bench/run.sh that wrk cannot do: drive a real sign-in and code flow, measure password
sign-ins per second and the raw PBKDF2 rate, seed sessions, sign a browser in for its session cookie.
The simple-sso flow driver is tools/sso-flow-driver.mjs (Node: about half the CPU per flow).
Standard library only (plus nothing): the bench fetches nothing, so this avoids python3-requests too.

  benchtool.py refresh-token URL CLIENT_ID SECRET REDIRECT_URI USER PASSWORD   -> prints a refresh token
  benchtool.py signins URL USER PASSWORD SECONDS WORKERS                        -> BENCH_RESULT line
  benchtool.py hashrate ITERATIONS SECONDS WORKERS                              -> hashes/s (PBKDF2-HMAC-SHA512, Identity v3)
  benchtool.py seed-sessions SQLITE_DB USER_ID COUNT                            -> inserts COUNT active sessions
  benchtool.py session-cookie URL USER PASSWORD                                  -> "name=value; ..." of a signed-in browser
"""
import base64, hashlib, http.cookiejar, json, multiprocessing, os, re, secrets, sqlite3, sys, threading, time, uuid
import urllib.error, urllib.parse, urllib.request


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


def browser():
    jar = http.cookiejar.CookieJar()
    return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect())


def fetch(opener, url, data=None, headers=None):
    request = urllib.request.Request(url, data=urllib.parse.urlencode(data).encode() if data is not None else None, headers=headers or {})
    try:
        with opener.open(request, timeout=30) as response:
            return response.status, response.headers, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read().decode("utf-8", "replace")


def sign_in(opener, base, user, password, return_url="/"):
    status, _, page = fetch(opener, f"{base}/account/login?returnUrl={urllib.parse.quote(return_url)}")
    token = re.search(r'name="__RequestVerificationToken"[^>]*value="([^"]+)"', page) or re.search(r'value="([^"]+)"[^>]*name="__RequestVerificationToken"', page)
    if status != 200 or not token:
        raise SystemExit(f"login page: status {status}, antiforgery token {'found' if token else 'missing'}")
    status, headers, body = fetch(opener, f"{base}/account/login", {
        "username": user, "password": password, "returnUrl": return_url, "__RequestVerificationToken": token.group(1)})
    return status, headers


def refresh_token(base, client_id, secret, redirect_uri, user, password):
    opener = browser()
    status, headers = sign_in(opener, base, user, password)
    if status != 302:
        raise SystemExit(f"sign-in failed: status {status}")
    verifier = base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode()
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    query = urllib.parse.urlencode({"client_id": client_id, "redirect_uri": redirect_uri, "response_type": "code", "scope": "openid offline_access",
                                    "state": "s", "code_challenge": challenge, "code_challenge_method": "S256"})
    status, headers, body = fetch(opener, f"{base}/connect/authorize?{query}")
    location = headers.get("Location", "") if status == 302 else ""
    code = urllib.parse.parse_qs(urllib.parse.urlparse(location).query).get("code", [None])[0]
    if not code:
        raise SystemExit(f"authorize did not return a code: status {status} location {location!r} {body[:300]}")
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    status, _, body = fetch(browser(), f"{base}/connect/token", {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri,
                                                                "code_verifier": verifier}, {"Authorization": "Basic " + basic})
    if status != 200:
        raise SystemExit(f"code redemption failed: {status} {body[:300]}")
    print(json.loads(body)["refresh_token"])


def signins(base, user, password, seconds, workers):
    latencies, errors, lock = [], [0], threading.Lock()
    deadline = time.monotonic() + seconds

    def work():
        while time.monotonic() < deadline:
            opener = browser()
            started = time.monotonic()
            try:
                status, _ = sign_in(opener, base, user, password)
                ok = status == 302
            except Exception:
                ok = False
            with lock:
                if ok:
                    latencies.append(time.monotonic() - started)
                else:
                    errors[0] += 1

    threads = [threading.Thread(target=work) for _ in range(workers)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    latencies.sort()
    pct = lambda p: int(1e6 * latencies[min(len(latencies) - 1, int(p * len(latencies)))]) if latencies else 0
    print(f"BENCH_RESULT requests={len(latencies)} duration_us={int(elapsed * 1e6)} status_errors={errors[0]} connect_errors=0 read_errors=0 "
          f"write_errors=0 timeouts=0 p50_us={pct(0.50)} p90_us={pct(0.90)} p99_us={pct(0.99)} max_us={pct(1.0)}")


def _hash_worker(args):
    iterations, seconds = args
    count, deadline = 0, time.monotonic() + seconds
    while time.monotonic() < deadline:
        hashlib.pbkdf2_hmac("sha512", b"correct horse battery staple", os.urandom(16), iterations, 32)
        count += 1
    return count


def hashrate(iterations, seconds, workers):
    started = time.monotonic()
    with multiprocessing.Pool(workers) as pool:
        total = sum(pool.map(_hash_worker, [(iterations, seconds)] * workers))
    print(f"{total / (time.monotonic() - started):.2f}")


def seed_sessions(db, user_id, count):
    # EF Core's SQLite provider stores Guid and DateTimeOffset as TEXT; the column list comes from the table itself.
    connection = sqlite3.connect(db)
    columns = [row[1] for row in connection.execute("PRAGMA table_info(SsoSessions)")]
    now = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime()) + "+00:00"
    values = {"UserId": user_id.upper(), "CreatedAt": now, "AuthenticatedAt": now, "LastSeenAt": now, "AuthMethods": '["pwd"]',
              "IsPersistent": 0, "IpAddress": "127.0.0.1", "UserAgent": "bench", "EndedAt": None, "EndReason": None}
    rows = []
    for _ in range(count):
        row = dict(values, Id=str(uuid.uuid4()).upper())
        rows.append(tuple(row.get(c, 0) for c in columns))
    connection.executemany(f"INSERT INTO SsoSessions ({','.join(columns)}) VALUES ({','.join('?' * len(columns))})", rows)
    connection.commit()
    print(connection.execute("SELECT COUNT(*) FROM SsoSessions WHERE EndedAt IS NULL").fetchone()[0])


def session_cookie(base, user, password):
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect())
    status, _ = sign_in(opener, base, user, password)
    if status != 302:
        raise SystemExit(f"sign-in failed: status {status}")
    print("; ".join(f"{c.name}={c.value}" for c in jar))


if __name__ == "__main__":
    command, args = sys.argv[1], sys.argv[2:]
    if command == "refresh-token":
        refresh_token(*args)
    elif command == "signins":
        signins(args[0], args[1], args[2], float(args[3]), int(args[4]))
    elif command == "hashrate":
        hashrate(int(args[0]), float(args[1]), int(args[2]))
    elif command == "session-cookie":
        session_cookie(*args)
    elif command == "seed-sessions":
        seed_sessions(args[0], args[1], int(args[2]))
    else:
        raise SystemExit(f"unknown command {command}")
