#!/usr/bin/env node
// Load driver for the full simple-sso flow (protocol §3.1–3.3), replacing benchtool.py's Python driver: the
// driver shares the 2 cores with the server, so every bit of its CPU per flow is taken from the server.
// Raw keep-alive sockets (one per loop) with a minimal HTTP/1.1 client, HMAC from node:crypto; no npm packages.
//
//   sso-flow-driver.mjs BASE PUBLIC PRIVATE REDIRECT_TO COOKIE SECONDS PROCS LOOPS -> BENCH_RESULT line (flows)
//
// Same arguments as `benchtool.py simple-sso` (THREADS there = concurrent async loops per process here).
// One flow = signed POST request-token + browser GET authorize with the session cookie + signed POST verify;
// it counts only when all three succeed and verify answers a user. PROCS > 1 forks child processes.
import { fork } from "node:child_process";
import { createHash, createHmac } from "node:crypto";
import net from "node:net";
import { inflateSync } from "node:zlib";

const [base, publicKey, privateKey, redirectTo, cookie, secondsArg, procsArg, loopsArg] = process.argv.slice(2);
if (process.argv.length < 10) {
  console.error("usage: sso-flow-driver.mjs BASE PUBLIC PRIVATE REDIRECT_TO COOKIE SECONDS PROCS LOOPS");
  process.exit(2);
}
const seconds = Number(secondsArg);
const procs = Math.max(1, Number.parseInt(procsArg, 10) || 1);
const loops = Math.max(1, Number.parseInt(loopsArg, 10) || 1);

const b64u = (buffer) => buffer.toString("base64url"); // Node's base64url has no padding, as itsdangerous

// itsdangerous TimedSerializer envelope: django-concat key derivation, HMAC-SHA1, Unix-epoch timestamp as
// minimal big-endian bytes.
const key = createHash("sha1").update("itsdangerous").update("signer").update(privateKey).digest();
function timestamp(now) {
  const bytes = [];
  for (let n = now; n > 0; n = Math.floor(n / 256)) bytes.unshift(n % 256);
  return b64u(Buffer.from(bytes));
}
function sign(payload) {
  const head = `${payload}.${timestamp(Math.floor(Date.now() / 1000))}`;
  return `${head}.${b64u(createHmac("sha1", key).update(head).digest())}`;
}
function payloadOf(signed) {
  const parts = signed.split(".");
  if (parts.length < 3) throw new FlowError(`not a signed value: ${signed.slice(0, 80)}`);
  return parts.slice(0, -2).join(".");
}
function urlSafeValue(signed) { // URLSafeTimedSerializer: base64url(JSON), or "." + base64url(zlib(JSON))
  const payload = payloadOf(signed);
  const raw = payload.startsWith(".") ? inflateSync(Buffer.from(payload.slice(1), "base64url")) : Buffer.from(payload, "base64url");
  return JSON.parse(raw.toString("utf8"));
}

class FlowError extends Error {}

const target = new URL(base);
const host = target.hostname;
const port = Number(target.port || 80);
const CRLF2 = Buffer.from("\r\n\r\n");

// A minimal HTTP/1.1 client on one keep-alive socket per loop, as each loop sends one request at a time. Node's http
// module spent more CPU per flow than the server's own request handling on a 2-core machine; this one does only what
// the three requests need: Content-Length, chunked or close-delimited bodies, Connection: close (gunicorn's sync
// workers close after every response), Set-Cookie kept as a list.
class Connection {
  constructor() {
    this.socket = null;
    this.pending = null;
  }

  request(method, path, headers, body) {
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject, buffer: Buffer.alloc(0), head: null };
      if (!this.socket) this.connect();
      const payload = body === undefined ? undefined : Buffer.from(body);
      let head = `${method} ${path} HTTP/1.1\r\nHost: ${target.host}\r\n`;
      for (const [name, value] of Object.entries(headers)) head += `${name}: ${value}\r\n`;
      if (payload) head += `Content-Length: ${payload.length}\r\n`;
      this.socket.write(payload ? Buffer.concat([Buffer.from(head + "\r\n"), payload]) : head + "\r\n");
    });
  }

  connect() {
    const socket = net.connect({ host, port });
    socket.setNoDelay(true);
    socket.setTimeout(30_000, () => this.fail(Object.assign(new Error("timeout"), { code: "ETIMEDOUT" })));
    socket.on("data", (chunk) => this.receive(chunk));
    socket.on("error", (error) => this.fail(error));
    socket.on("end", () => this.ended());
    socket.on("close", () => this.fail(Object.assign(new Error("connection closed"), { code: "ECONNRESET" })));
    this.socket = socket;
  }

  drop() {
    if (this.socket) {
      this.socket.removeAllListeners();
      this.socket.on("error", () => {});
      this.socket.destroy();
      this.socket = null;
    }
  }

  fail(error) {
    const pending = this.pending;
    this.pending = null;
    this.drop();
    if (pending) pending.reject(error);
  }

  ended() { // a close-delimited body ends with the connection
    const pending = this.pending;
    if (pending?.head && pending.head.framing === "close") {
      this.pending = null;
      this.drop();
      pending.resolve({ ...pending.head.response, body: pending.buffer.toString("utf8") });
    } else {
      this.fail(Object.assign(new Error("connection closed"), { code: "ECONNRESET" }));
    }
  }

  receive(chunk) {
    const pending = this.pending;
    if (!pending) return;
    pending.buffer = pending.buffer.length ? Buffer.concat([pending.buffer, chunk]) : chunk;
    if (!pending.head) {
      const end = pending.buffer.indexOf(CRLF2);
      if (end < 0) return;
      pending.head = parseHead(pending.buffer.subarray(0, end).toString("latin1"));
      pending.buffer = pending.buffer.subarray(end + 4);
    }
    const { head } = pending;
    let body;
    if (head.framing === "length") {
      if (pending.buffer.length < head.length) return;
      body = pending.buffer.subarray(0, head.length);
    } else if (head.framing === "chunked") {
      body = dechunk(pending.buffer);
      if (!body) return;
    } else {
      return; // close-delimited: see ended()
    }
    this.pending = null;
    if (head.close) this.drop();
    pending.resolve({ ...head.response, body: body.toString("utf8") });
  }
}

function parseHead(text) {
  const lines = text.split("\r\n");
  const [version, code] = lines[0].split(" ");
  const headers = {};
  for (let i = 1; i < lines.length; i++) {
    const at = lines[i].indexOf(":");
    if (at <= 0) continue;
    const name = lines[i].slice(0, at).trim().toLowerCase();
    const value = lines[i].slice(at + 1).trim();
    if (name === "set-cookie") (headers[name] ??= []).push(value);
    else headers[name] = value;
  }
  const status = Number(code);
  const connection = (headers.connection ?? "").toLowerCase();
  const close = connection.includes("close") || (version === "HTTP/1.0" && !connection.includes("keep-alive"));
  const bodiless = status === 204 || status === 304 || (status >= 100 && status < 200);
  const framing = bodiless ? "length"
    : /chunked/i.test(headers["transfer-encoding"] ?? "") ? "chunked"
      : headers["content-length"] !== undefined ? "length" : "close";
  const length = bodiless ? 0 : Number(headers["content-length"] ?? 0);
  return { response: { status, headers }, framing, length, close: close || framing === "close" };
}

function dechunk(buffer) { // the whole body once every chunk and the terminator are in, else null
  const parts = [];
  let at = 0;
  for (;;) {
    const lineEnd = buffer.indexOf("\r\n", at);
    if (lineEnd < 0) return null;
    const size = Number.parseInt(buffer.subarray(at, lineEnd).toString("latin1"), 16);
    if (size === 0) {
      return buffer.indexOf(CRLF2, lineEnd - 2) >= 0 ? Buffer.concat(parts) : null;
    }
    if (buffer.length < lineEnd + 2 + size + 2) return null;
    parts.push(buffer.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
}

function signedPost(connection, path, payload) {
  return connection.request("POST", target.pathname + path, {
    "X-Services-Public-Key": publicKey,
    "Content-Type": "application/json",
  }, sign(JSON.stringify(payload)));
}

// A browser's cookie jar, one per loop: the server may renew its cookie (Identity re-issues it after each
// security-stamp check, once a minute), and a browser sends the renewed one. Replaying the first cookie forever
// would make every authorize pay for a stamp check that no real browser triggers.
class CookieJar {
  constructor(header) {
    this.cookies = new Map();
    for (const part of header.split(";")) {
      const at = part.indexOf("=");
      if (at > 0) this.cookies.set(part.slice(0, at).trim(), part.slice(at + 1).trim());
    }
    this.header = header;
  }

  update(setCookie) {
    if (!setCookie) return;
    for (const line of setCookie) {
      const [pair, ...attributes] = line.split(";");
      const at = pair.indexOf("=");
      if (at <= 0) continue;
      const name = pair.slice(0, at).trim();
      const expired = attributes.some((a) => /^\s*max-age\s*=\s*0\s*$/i.test(a)
        || (/^\s*expires\s*=/i.test(a) && Date.parse(a.split("=").slice(1).join("=")) <= Date.now()));
      if (expired) this.cookies.delete(name);
      else this.cookies.set(name, pair.slice(at + 1).trim());
    }
    this.header = [...this.cookies].map(([name, value]) => `${name}=${value}`).join("; ");
  }
}

async function flow(connection, jar) {
  let response = await signedPost(connection, "request-token/", { redirect_to: redirectTo });
  if (response.status !== 200) throw new FlowError(`request-token ${response.status} ${response.body.slice(0, 200)}`);
  const requestToken = JSON.parse(payloadOf(response.body)).request_token;

  response = await connection.request("GET", `${target.pathname}authorize/?token=${encodeURIComponent(requestToken)}`, { Cookie: jar.header });
  jar.update(response.headers["set-cookie"]);
  const location = response.headers.location ?? "";
  const signed = response.status === 302 ? new URL(location, base).searchParams.get("access_token") : null;
  if (!signed) throw new FlowError(`authorize ${response.status} ${location.slice(0, 200)}`);

  response = await signedPost(connection, "verify/", { access_token: urlSafeValue(signed) });
  if (response.status !== 200 || !("username" in JSON.parse(payloadOf(response.body)))) {
    throw new FlowError(`verify ${response.status} ${response.body.slice(0, 200)}`);
  }
}

function classify(error, counts) {
  if (error instanceof FlowError || error instanceof SyntaxError) counts.status_errors++;
  else if (error.code === "ETIMEDOUT") counts.timeouts++;
  else if (error.code === "ECONNREFUSED" || error.code === "EADDRNOTAVAIL") counts.connect_errors++;
  else if (error.code === "EPIPE") counts.write_errors++;
  else counts.read_errors++;
}

async function work() { // one process: LOOPS concurrent flow loops until the deadline
  const counts = { status_errors: 0, connect_errors: 0, read_errors: 0, write_errors: 0, timeouts: 0 };
  const latencies = [];
  let reported = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(Array.from({ length: loops }, async () => {
    const jar = new CookieJar(cookie);
    const connection = new Connection();
    while (performance.now() < deadline) {
      const flowStarted = performance.now();
      try {
        await flow(connection, jar);
        latencies.push(Math.round((performance.now() - flowStarted) * 1000));
      } catch (error) {
        connection.drop(); // a failed flow starts over on a fresh connection
        classify(error, counts);
        if (reported++ < 3) console.error(`flow failed: ${error.message}`);
      }
    }
  }));
  return { latencies, counts, durationUs: Math.round((performance.now() - started) * 1000) };
}

function report(parts) {
  const latencies = parts.flatMap((p) => p.latencies).sort((a, b) => a - b);
  const sum = (name) => parts.reduce((total, p) => total + p.counts[name], 0);
  const pct = (p) => (latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] : 0);
  const duration = Math.max(...parts.map((p) => p.durationUs));
  console.log(`BENCH_RESULT requests=${latencies.length} duration_us=${duration} status_errors=${sum("status_errors")} ` +
    `connect_errors=${sum("connect_errors")} read_errors=${sum("read_errors")} write_errors=${sum("write_errors")} ` +
    `timeouts=${sum("timeouts")} p50_us=${pct(0.5)} p90_us=${pct(0.9)} p99_us=${pct(0.99)} max_us=${pct(1)}`);
}

if (process.env.SSO_FLOW_DRIVER_CHILD === "1") {
  process.send(await work());
  process.disconnect();
} else if (procs === 1) {
  report([await work()]);
} else {
  const children = Array.from({ length: procs }, () => fork(process.argv[1], process.argv.slice(2), {
    env: { ...process.env, SSO_FLOW_DRIVER_CHILD: "1" },
  }));
  const parts = await Promise.all(children.map((child) => new Promise((resolve, reject) => {
    let result = null;
    child.on("message", (message) => { result = message; });
    child.on("exit", (code) => (result ? resolve(result) : reject(new Error(`driver process exited with ${code} and no result`))));
  })));
  report(parts);
}
