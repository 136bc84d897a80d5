#!/usr/bin/python3
"""A django-simple-sso 1.x style client, used as an interoperability peer for Latchkey.

It speaks the wire protocol the way the Python library does (see the protocol notes,
sections 3.5, 4, 5 and 11): server-to-server envelopes are itsdangerous ``TimedSerializer``
values signed with the consumer's private key and sent with ``X-Services-Public-Key``; the
browser ``access_token`` is an itsdangerous ``URLSafeTimedSerializer`` value. The real
itsdangerous library (Debian's 2.1.2) does the signing, so this checks Latchkey against the
library's bytes rather than against our own reading of the spec.

``--epoch legacy`` makes the envelopes carry itsdangerous-0.24 timestamps (seconds since
2011-01-01), which is what django-simple-sso 1.0-1.3 (pinned to itsdangerous<1.0) sends.

The browser part (authorize, login form, redirect back) is played with a requests.Session.
The final redirect to the client site is read from ``Location`` and not followed: this script
is the client site.

Exit status: 0 when the user object was obtained (and every requested check held), 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import requests
from itsdangerous import BadSignature, TimedSerializer, TimestampSigner, URLSafeTimedSerializer

LEGACY_EPOCH_OFFSET = 1293840000  # 2011-01-01T00:00:00Z, itsdangerous 0.24's epoch
ANTIFORGERY_FIELD = "__RequestVerificationToken"
MAX_REDIRECTS = 10


class LegacyEpochTimestampSigner(TimestampSigner):
    """Emits timestamps the way itsdangerous 0.24 did."""

    def get_timestamp(self) -> int:
        return int(time.time()) - LEGACY_EPOCH_OFFSET


class PeerError(Exception):
    pass


class SimpleSsoConsumer:
    """The server-to-server half, shaped like webservices' SyncConsumer used by simple_sso."""

    def __init__(self, server_url: str, public_key: str, private_key: str, epoch: str):
        if not server_url.endswith("/"):
            raise PeerError("server URL must end with '/'")
        self.server_url = server_url
        self.public_key = public_key
        signer = LegacyEpochTimestampSigner if epoch == "legacy" else TimestampSigner
        self.envelope = TimedSerializer(private_key, signer=signer)
        self.url_safe = URLSafeTimedSerializer(private_key, signer=signer)

    def consume(self, path: str, data: dict) -> requests.Response:
        body = self.envelope.dumps(data)
        return requests.post(
            urljoin(self.server_url, path.lstrip("/")),
            data=body.encode("utf-8"),
            headers={"x-services-public-key": self.public_key, "content-type": "application/json"},
            timeout=30,
        )

    def consume_ok(self, path: str, data: dict) -> dict:
        response = self.consume(path, data)
        # The Python client treats any status >= 300 as a hard failure.
        if response.status_code >= 300:
            raise PeerError(f"{path} answered {response.status_code}: {response.text[:200]!r}")
        try:
            return self.envelope.loads(response.content)
        except BadSignature as error:
            raise PeerError(f"{path} response signature did not verify: {error}") from error

    def request_token(self, redirect_to: str) -> str:
        payload = self.consume_ok("request-token/", {"redirect_to": redirect_to})
        token = payload.get("request_token")
        if not isinstance(token, str) or not token:
            raise PeerError(f"request-token payload has no request_token: {payload!r}")
        return token

    def unsign_access_token(self, signed: str) -> str:
        # Like simple_sso's client: signature only, no age limit.
        try:
            value = self.url_safe.loads(signed)
        except BadSignature as error:
            raise PeerError(f"access_token signature did not verify: {error}") from error
        if not isinstance(value, str):
            raise PeerError("access_token does not carry a string")
        return value

    def verify(self, access_token: str) -> dict:
        return self.consume_ok("verify/", {"access_token": access_token})


class LoginFormParser(HTMLParser):
    """Finds the form that carries the antiforgery token and collects its inputs."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict] = []
        self._current: dict | None = None

    def handle_starttag(self, tag, attrs):
        attributes = {name: (value or "") for name, value in attrs}
        if tag == "form":
            self._current = {"action": attributes.get("action", ""), "method": attributes.get("method", "get"), "inputs": []}
            self.forms.append(self._current)
        elif tag == "input" and self._current is not None:
            self._current["inputs"].append(attributes)

    def handle_endtag(self, tag):
        if tag == "form":
            self._current = None


def find_login_form(html: str) -> dict:
    parser = LoginFormParser()
    parser.feed(html)
    for form in parser.forms:
        names = {i.get("name") for i in form["inputs"]}
        has_password = any(i.get("type", "").lower() == "password" for i in form["inputs"])
        if ANTIFORGERY_FIELD in names and has_password:
            return form
    raise PeerError("no login form with an antiforgery token and a password field on the page")


def fill_login_form(form: dict, username: str, password: str) -> dict:
    fields: dict[str, str] = {}
    username_set = False
    for field in form["inputs"]:
        name = field.get("name")
        if not name:
            continue
        kind = field.get("type", "text").lower()
        if kind == "password":
            fields[name] = password
        elif kind in ("text", "email") and not username_set:
            fields[name] = username
            username_set = True
        elif kind in ("checkbox", "radio", "submit", "button"):
            continue
        else:
            fields[name] = field.get("value", "")
    if not username_set:
        raise PeerError("login form has no username field")
    return fields


def same_origin(a: str, b: str) -> bool:
    pa, pb = urlsplit(a), urlsplit(b)
    return (pa.scheme, pa.netloc) == (pb.scheme, pb.netloc)


def browser_login(authorize_url: str, redirect_to: str, username: str, password: str) -> str:
    """Plays the browser from authorize/ to the redirect back to the client; returns the signed access_token."""
    browser = requests.Session()
    url = authorize_url
    method, data = "GET", None
    submitted = False
    for _ in range(MAX_REDIRECTS * 2):
        response = browser.request(method, url, data=data, allow_redirects=False, timeout=30)
        method, data = "GET", None
        if response.status_code in (301, 302, 303, 307, 308):
            location = urljoin(url, response.headers["Location"])
            if same_origin(location, redirect_to):
                query = parse_qs(urlsplit(location).query)
                tokens = query.get("access_token", [])
                if len(tokens) != 1:
                    raise PeerError(f"redirect back to the client carries no single access_token: {location}")
                expected_prefix = redirect_to.split("?", 1)[0]
                if not location.startswith(expected_prefix):
                    raise PeerError(f"redirect back went to {location}, not to {expected_prefix}")
                return tokens[0]
            url = location
            continue
        if response.status_code != 200:
            raise PeerError(f"{url} answered {response.status_code}")
        if submitted:
            raise PeerError("login form shown again after submitting: credentials rejected?")
        form = find_login_form(response.text)
        url = urljoin(response.url, form["action"] or response.url)
        method = form["method"].upper() or "POST"
        data = fill_login_form(form, username, password)
        submitted = True
    raise PeerError("too many redirects")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", required=True, help="Latchkey simple-sso base URL, ending with '/' (e.g. http://127.0.0.1:5000/sso/)")
    parser.add_argument("--public-key", required=True)
    parser.add_argument("--private-key-stdin", action="store_true", help="read the private key from the first line of stdin")
    parser.add_argument("--private-key", help="the consumer private key (prefer --private-key-stdin)")
    parser.add_argument("--client-url", required=True, help="this client's base URL, e.g. http://127.0.0.4:8001/client/")
    parser.add_argument("--next", default="/private/")
    parser.add_argument("--username", required=True)
    parser.add_argument("--password-stdin", action="store_true", help="read the password from the next line of stdin")
    parser.add_argument("--password")
    parser.add_argument("--epoch", choices=("unix", "legacy"), default="unix")
    parser.add_argument("--expect-single-use", action="store_true",
                        help="also check that a second verify of the same access token is refused with a 4xx")
    args = parser.parse_args(argv)

    private_key = sys.stdin.readline().rstrip("\r\n") if args.private_key_stdin else args.private_key
    password = sys.stdin.readline().rstrip("\r\n") if args.password_stdin else args.password
    if not private_key or not password:
        parser.error("a private key and a password are required")

    try:
        consumer = SimpleSsoConsumer(args.server, args.public_key, private_key, args.epoch)
        redirect_to = urljoin(args.client_url, "authenticate/") + "?" + urlencode({"next": args.next})
        request_token = consumer.request_token(redirect_to)
        authorize_url = urljoin(args.server, "authorize/") + "?" + urlencode({"token": request_token})
        signed_access_token = browser_login(authorize_url, redirect_to, args.username, password)
        access_token = consumer.unsign_access_token(signed_access_token)
        user = consumer.verify(access_token)
        if user.get("username") != args.username:
            raise PeerError(f"verify returned user {user.get('username')!r}, expected {args.username!r}")
        if args.expect_single_use:
            replay = consumer.consume("verify/", {"access_token": access_token})
            if not 400 <= replay.status_code < 500:
                raise PeerError(f"second verify answered {replay.status_code}, expected a 4xx")
    except (PeerError, requests.RequestException) as error:
        print(f"simple_sso_client: {error}", file=sys.stderr)
        return 1

    print(json.dumps(user, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
