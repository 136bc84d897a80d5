#!/usr/bin/env node
// An OpenID Connect relying party built on the certified openid-client library, run against a live
// Latchkey. The protocol work (discovery, PKCE, ID token validation, grants) is openid-client's; this
// script only plays the browser (plain fetch + a cookie jar, redirects followed by hand) so the real
// login, consent and device pages are exercised.
//
// Usage (secrets come from the environment so they never show in a process listing):
//   LATCHKEY_PEER_CLIENT_SECRET=... LATCHKEY_PEER_SERVICE_SECRET=... LATCHKEY_PEER_PASSWORD=... \
//   node oidc-peer.mjs --issuer http://127.0.0.1:5000/ --client-id web --redirect-uri http://127.0.0.4:9/cb \
//     --public-client-id spa --public-redirect-uri http://127.0.0.4:9/spa-cb \
//     --service-client-id svc --device-client-id tv --username alice
// Every option may also be given as an environment variable: --client-id → LATCHKEY_PEER_CLIENT_ID.
// Exit status 0: every requested step held; the JSON summary is on stdout. Otherwise 1 (2 for bad
// usage) with the failing step and the server's answer on stderr.

import * as client from 'openid-client';
import { parseArgs } from 'node:util';

const ALL_STEPS = [
  'discovery',
  'code',
  'userinfo',
  'introspection',
  'refresh',
  'revocation',
  'refresh_reuse',
  'public_code',
  'par',
  'client_credentials',
  'device',
];
const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
const ANTIFORGERY_FIELD = '__RequestVerificationToken';
const MAX_HOPS = 20;

class PeerError extends Error {}

// ------------------------------------------------------------------------------------------- options

function readOptions() {
  const spec = {
    issuer: { type: 'string' },
    'client-id': { type: 'string' },
    'client-secret': { type: 'string' },
    'redirect-uri': { type: 'string' },
    'public-client-id': { type: 'string' },
    'public-redirect-uri': { type: 'string' },
    'service-client-id': { type: 'string' },
    'service-secret': { type: 'string' },
    'device-client-id': { type: 'string' },
    'device-client-secret': { type: 'string' },
    username: { type: 'string' },
    password: { type: 'string' },
    scope: { type: 'string' },
    'service-scope': { type: 'string' },
    steps: { type: 'string' },
    'timeout-seconds': { type: 'string' },
    help: { type: 'boolean' },
  };
  const { values } = parseArgs({ options: spec, strict: true, allowPositionals: false });
  if (values.help) {
    process.stdout.write(`options: ${Object.keys(spec).map((name) => `--${name}`).join(' ')}\nsteps: ${ALL_STEPS.join(',')}\n`);
    process.exit(0);
  }

  const get = (name) => values[name] ?? process.env[`LATCHKEY_PEER_${name.toUpperCase().replaceAll('-', '_')}`];
  const steps = (get('steps') ?? ALL_STEPS.join(',')).split(',').map((s) => s.trim()).filter(Boolean);
  for (const step of steps) {
    if (!ALL_STEPS.includes(step)) usage(`unknown step '${step}' (known: ${ALL_STEPS.join(', ')})`);
  }

  const options = {
    issuer: get('issuer'),
    clientId: get('client-id'),
    clientSecret: get('client-secret'),
    redirectUri: get('redirect-uri'),
    publicClientId: get('public-client-id'),
    publicRedirectUri: get('public-redirect-uri') ?? get('redirect-uri'),
    serviceClientId: get('service-client-id'),
    serviceSecret: get('service-secret'),
    deviceClientId: get('device-client-id') ?? get('public-client-id'),
    deviceClientSecret: get('device-client-secret'),
    username: get('username'),
    password: get('password'),
    scope: get('scope') ?? 'openid profile email offline_access',
    serviceScope: get('service-scope'),
    timeoutSeconds: Number(get('timeout-seconds') ?? 120),
    steps: new Set(steps),
  };

  const needs = (condition, names) => {
    for (const name of names) {
      if (condition && !options[name]) usage(`--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} is required for steps ${steps.join(',')}`);
    }
  };
  needs(true, ['issuer']);
  const browserSteps = ['code', 'userinfo', 'introspection', 'refresh', 'refresh_reuse', 'revocation', 'par'];
  needs(browserSteps.some((s) => options.steps.has(s)), ['clientId', 'clientSecret', 'redirectUri', 'username', 'password']);
  needs(options.steps.has('public_code'), ['publicClientId', 'publicRedirectUri', 'username', 'password']);
  needs(options.steps.has('client_credentials'), ['serviceClientId', 'serviceSecret']);
  needs(options.steps.has('device'), ['deviceClientId', 'username', 'password']);
  return options;
}

function usage(message) {
  process.stderr.write(`oidc-peer: ${message}\n`);
  process.exit(2);
}

// --------------------------------------------------------------------------------- the browser half

/** Cookies of one site, the way a browser keeps them (name + path; expiry honoured). */
class CookieJar {
  #cookies = new Map();

  store(url, response) {
    for (const header of response.headers.getSetCookie()) {
      const [pair, ...attributes] = header.split(';');
      const eq = pair.indexOf('=');
      if (eq <= 0) continue;
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      let path = '/';
      let expired = false;
      for (const attribute of attributes) {
        const [key, ...rest] = attribute.split('=');
        const attributeValue = rest.join('=').trim();
        switch (key.trim().toLowerCase()) {
          case 'path':
            path = attributeValue || '/';
            break;
          case 'max-age':
            expired ||= Number(attributeValue) <= 0;
            break;
          case 'expires':
            expired ||= Date.parse(attributeValue) <= Date.now();
            break;
        }
      }
      const key = `${url.host} ${path} ${name}`;
      if (expired) this.#cookies.delete(key);
      else this.#cookies.set(key, { host: url.host, path, name, value });
    }
  }

  header(url) {
    const matching = [...this.#cookies.values()].filter(
      (cookie) => cookie.host === url.host && (url.pathname === cookie.path || url.pathname.startsWith(cookie.path.endsWith('/') ? cookie.path : `${cookie.path}/`)),
    );
    return matching.map((cookie) => `${cookie.name}=${cookie.value}`).join('; ');
  }
}

/** Plays a browser: keeps cookies, follows redirects itself and stops where the caller says. */
class Browser {
  jar = new CookieJar();
  hops = [];

  async request(method, url, body) {
    const headers = { accept: 'text/html,application/xhtml+xml', 'user-agent': 'latchkey-oidc-peer' };
    const cookie = this.jar.header(url);
    if (cookie) headers.cookie = cookie;
    if (body) headers['content-type'] = 'application/x-www-form-urlencoded';
    const response = await fetch(url, { method, headers, body, redirect: 'manual' });
    this.jar.store(url, response);
    const location = response.headers.get('location');
    this.hops.push(`${method} ${redact(url)} -> ${response.status}${location ? ` ${redact(new URL(location, url))}` : ''}`);
    return { url, status: response.status, location: location ? new URL(location, url) : null, body: await response.text() };
  }

  /**
   * Follows redirects from a request until a page is shown or a redirect leaves for `stopAt`
   * (a URL prefix, e.g. the client's redirect_uri, which nothing here listens on).
   */
  async navigate(method, url, body, stopAt) {
    let page = await this.request(method, url, body);
    for (let hop = 0; hop < MAX_HOPS; hop++) {
      if (!page.location || page.status < 300 || page.status > 399) return page;
      if (stopAt && page.location.href.startsWith(stopAt)) return page;
      const keepMethod = page.status === 307 || page.status === 308;
      page = await this.request(keepMethod ? method : 'GET', page.location, keepMethod ? body : undefined);
    }
    throw new PeerError(`more than ${MAX_HOPS} redirects\n${this.trail()}`);
  }

  /** Submits like a browser: hidden/current values, `values` typed over them, the pressed `control`'s name and formaction. */
  async submit(page, form, values, stopAt, control) {
    if (control?.name) values = { ...values, [control.name]: control.value };
    const fields = new URLSearchParams();
    for (const input of form.inputs) {
      if (['submit', 'button', 'image', 'reset'].includes(input.type)) continue;
      if (['checkbox', 'radio'].includes(input.type) && !input.checked) continue;
      fields.append(input.name, values[input.name] ?? input.value);
    }
    for (const [name, value] of Object.entries(values)) {
      if (!form.inputs.some((input) => input.name === name)) fields.append(name, value);
    }
    const action = new URL(control?.formaction || form.action || page.url.href, page.url);
    if (form.method === 'post') return this.navigate('POST', action, fields.toString(), stopAt);
    for (const [name, value] of fields) action.searchParams.append(name, value);
    return this.navigate('GET', action, undefined, stopAt);
  }

  trail() {
    return `hops:\n  ${this.hops.slice(-25).join('\n  ')}`;
  }
}

// Codes, tokens and secrets never reach the output.
function redact(url) {
  const copy = new URL(url);
  for (const name of ['code', 'user_code', 'id_token_hint', 'access_token', 'state', 'nonce', 'code_challenge', 'request_uri']) {
    if (copy.searchParams.has(name)) copy.searchParams.set(name, '…');
  }
  return copy.href;
}

const decode = (text) =>
  text.replace(/&(#x[0-9a-f]+|#\d+|amp|lt|gt|quot|apos|#39);/gi, (_, entity) => {
    const lower = entity.toLowerCase();
    if (lower.startsWith('#x')) return String.fromCodePoint(parseInt(lower.slice(2), 16));
    if (lower.startsWith('#')) return String.fromCodePoint(parseInt(lower.slice(1), 10));
    return { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }[lower];
  });

function attributesOf(tag) {
  const attributes = {};
  for (const match of tag.matchAll(/([^\s=/>"']+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+)))?/g)) {
    attributes[match[1].toLowerCase()] = decode(match[2] ?? match[3] ?? match[4] ?? '');
  }
  return attributes;
}

/** The forms of a server-rendered page (enough HTML reading for Razor Pages output). */
function formsOf(html) {
  const forms = [];
  for (const match of html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)) {
    const attributes = attributesOf(match[1]);
    const inputs = [...match[2].matchAll(/<input\b([^>]*)>/gi)].map((input) => {
      const a = attributesOf(input[1]);
      return { name: a.name, type: (a.type ?? 'text').toLowerCase(), value: a.value ?? '', checked: 'checked' in a, formaction: a.formaction };
    }).filter((input) => input.name);
    const buttons = [...match[2].matchAll(/<button\b([^>]*)>([\s\S]*?)<\/button>/gi)].map((button) => {
      const a = attributesOf(button[1]);
      return {
        name: a.name,
        value: a.value ?? '',
        type: (a.type ?? 'submit').toLowerCase(),
        formaction: a.formaction,
        text: decode(button[2].replace(/<[^>]*>/g, '')).trim(),
      };
    });
    forms.push({ action: attributes.action ?? '', method: (attributes.method ?? 'get').toLowerCase(), inputs, buttons });
  }
  return forms;
}

const isLoginForm = (form) => form.inputs.some((i) => i.type === 'password') && form.inputs.some((i) => i.name === ANTIFORGERY_FIELD);

/** The submit control that says yes (accept / allow / approve / authorize / confirm / continue). */
function acceptControl(form) {
  const yes = /\b(accept|allow|approve|authori[sz]e|confirm|grant|yes|continue|submit)\b/i;
  const no = /\b(deny|reject|cancel|decline|no|sign out|log out|logout)\b/i;
  const controls = [
    ...form.buttons.filter((b) => b.type === 'submit'),
    ...form.inputs.filter((i) => i.type === 'submit').map((i) => ({ ...i, text: i.value })),
  ];
  return controls.find((c) => yes.test(`${c.name ?? ''} ${c.value} ${c.text}`) && !no.test(c.text)) ?? null;
}

// The layout carries a sign-out form on every page once signed in; it is never the one to press.
const isSignOutForm = (form) => /\/(account\/logout|connect\/logout)\b/i.test(form.action);

/** The POST form (antiforgery-protected) whose submit button says yes. */
const approvalForm = (forms) =>
  forms.find((f) => f.method === 'post' && !isSignOutForm(f) && f.inputs.some((i) => i.name === ANTIFORGERY_FIELD) && acceptControl(f));

function describePage(page) {
  const text = page.body.replace(/<script[\s\S]*?<\/script>|<style[\s\S]*?<\/style>/gi, ' ').replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim();
  return `${page.status} at ${redact(page.url)}: ${text.slice(0, 400)}`;
}

/** Types the user's credentials into Latchkey's login form (hidden fields such as returnUrl kept). */
async function signIn(browser, page, login, options, stopAt) {
  const user = login.inputs.find((i) => ['text', 'email'].includes(i.type));
  const password = login.inputs.find((i) => i.type === 'password');
  if (!user) throw new PeerError(`the login form has no user name field: ${describePage(page)}`);
  const next = await browser.submit(page, login, { [user.name]: options.username, [password.name]: options.password }, stopAt);
  if (next.status === 200 && formsOf(next.body).some(isLoginForm)) {
    throw new PeerError(`the login form came back after submitting the credentials: ${describePage(next)}`);
  }
  return next;
}

/**
 * From a page shown by Latchkey, signs in and/or accepts consent until the browser is redirected
 * to `stopAt` (the redirect_uri) or a form_post page targets it.
 */
async function drivePages(browser, page, options, stopAt, accepted) {
  for (let round = 0; round < 6; round++) {
    if (page.location && page.location.href.startsWith(stopAt)) return { kind: 'redirect', url: page.location };
    if (page.status >= 400) throw new PeerError(`Latchkey answered ${describePage(page)}\n${browser.trail()}`);
    const forms = formsOf(page.body);
    const formPost = forms.find((f) => f.method === 'post' && f.action.startsWith(stopAt));
    if (formPost) return { kind: 'form_post', form: formPost };

    const login = forms.find(isLoginForm);
    if (login) {
      page = await signIn(browser, page, login, options, stopAt);
      continue;
    }

    const consent = approvalForm(forms);
    if (consent) {
      const control = acceptControl(consent);
      accepted.push(redact(page.url));
      page = await browser.submit(page, consent, {}, stopAt, control);
      continue;
    }

    throw new PeerError(`expected a login, consent or redirect, got ${describePage(page)}\n${browser.trail()}`);
  }
  throw new PeerError(`never got back to ${stopAt}\n${browser.trail()}`);
}

// ------------------------------------------------------------------------------------ the OIDC half

async function discover(options, clientId, secret, auth) {
  return client.discovery(new URL(options.issuer), clientId, secret, auth, {
    // Latchkey runs on plain HTTP on loopback in tests; openid-client refuses that unless told.
    execute: [client.allowInsecureRequests],
    timeout: 30,
  });
}

/** Authorization code + PKCE (S256) through the real pages; returns tokens validated by openid-client. */
async function authorizationCodeFlow(config, browser, options, redirectUri, { usePar = false, extra = {} } = {}) {
  const codeVerifier = client.randomPKCECodeVerifier();
  const parameters = {
    redirect_uri: redirectUri,
    scope: options.scope,
    code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
    state: client.randomState(),
    nonce: client.randomNonce(),
    ...extra,
  };
  const authorizationUrl = usePar
    ? await client.buildAuthorizationUrlWithPAR(config, parameters)
    : client.buildAuthorizationUrl(config, parameters);
  if (usePar && !authorizationUrl.searchParams.has('request_uri')) throw new PeerError('PAR did not produce a request_uri');

  const consentPages = [];
  const first = await browser.navigate('GET', authorizationUrl, undefined, redirectUri);
  const outcome = await drivePages(browser, first, options, redirectUri, consentPages);
  if (outcome.kind !== 'redirect') throw new PeerError('expected a query redirect, got a form_post page');
  const callback = outcome.url;
  if (callback.searchParams.has('error')) {
    throw new PeerError(`authorization failed: ${callback.searchParams.get('error')}: ${callback.searchParams.get('error_description')}`);
  }

  const tokens = await client.authorizationCodeGrant(config, callback, {
    pkceCodeVerifier: codeVerifier,
    expectedState: parameters.state,
    expectedNonce: parameters.nonce,
    idTokenExpected: true,
  });
  return { tokens, consentPages, issInResponse: callback.searchParams.get('iss') };
}

async function expectGrantRefused(action, what) {
  try {
    await action();
  } catch (error) {
    if (error instanceof client.ResponseBodyError && error.error === 'invalid_grant') return error.error;
    throw new PeerError(`${what}: expected invalid_grant, got ${explain(error)}`);
  }
  throw new PeerError(`${what}: the server accepted it`);
}

function jwtHeader(token) {
  const parts = token.split('.');
  if (parts.length !== 3) return null;
  return JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8'));
}

// ------------------------------------------------------------------------------------------ the run

async function run(options) {
  const summary = { issuer: options.issuer, steps: {} };
  let current = 'discovery';
  const step = async (name, action) => {
    if (!options.steps.has(name)) return undefined;
    current = name;
    const result = await action();
    summary.steps[name] = 'ok';
    return result;
  };

  try {
    const browser = new Browser();
    const needsWebClient = ['code', 'userinfo', 'introspection', 'refresh', 'refresh_reuse', 'revocation', 'par'].some((s) => options.steps.has(s));
    let web;
    await step('discovery', async () => {
      const metadata = await (await fetch(new URL('.well-known/openid-configuration', ensureSlash(options.issuer)))).json();
      for (const field of ['issuer', 'authorization_endpoint', 'token_endpoint', 'jwks_uri']) {
        if (!metadata[field]) throw new PeerError(`discovery document has no ${field}`);
      }
      if (!(metadata.code_challenge_methods_supported ?? []).includes('S256')) throw new PeerError('discovery does not advertise PKCE S256');
      summary.discovery = {
        issuer: metadata.issuer,
        grant_types_supported: metadata.grant_types_supported,
        authorization_response_iss_parameter_supported: metadata.authorization_response_iss_parameter_supported ?? false,
      };
    });

    if (needsWebClient) {
      current = 'discovery';
      web = await discover(options, options.clientId, options.clientSecret, client.ClientSecretBasic(options.clientSecret));
      if (web.serverMetadata().issuer !== summary.discovery?.issuer && summary.discovery) {
        throw new PeerError('openid-client saw a different issuer than the raw discovery document');
      }
    }

    let first;
    await step('code', async () => {
      first = await authorizationCodeFlow(web, browser, options, options.redirectUri);
      const claims = first.tokens.claims();
      if (!claims?.sub) throw new PeerError('the ID token has no sub');
      summary.code = {
        consent_pages: first.consentPages.length,
        iss_in_authorization_response: first.issInResponse,
        token_type: first.tokens.token_type,
        scope: first.tokens.scope,
        has_refresh_token: Boolean(first.tokens.refresh_token),
        access_token_typ: jwtHeader(first.tokens.access_token)?.typ ?? null,
        id_token_alg: jwtHeader(first.tokens.id_token)?.alg ?? null,
        id_token_claims: pick(claims, ['iss', 'sub', 'aud', 'sid', 'auth_time', 'amr', 'name', 'email', 'preferred_username']),
      };
    });

    await step('userinfo', async () => {
      const info = await client.fetchUserInfo(web, first.tokens.access_token, first.tokens.claims().sub);
      summary.userinfo = pick(info, ['sub', 'name', 'given_name', 'family_name', 'preferred_username', 'email', 'email_verified', 'role', 'roles']);
    });

    await step('introspection', async () => {
      const active = await client.tokenIntrospection(web, first.tokens.access_token);
      if (active.active !== true) throw new PeerError(`a fresh access token introspected as ${JSON.stringify(active)}`);
      if (active.sub && active.sub !== first.tokens.claims().sub) throw new PeerError('introspection reported another subject');
      summary.introspection = { access_token: pick(active, ['active', 'client_id', 'sub', 'scope', 'token_type', 'token_usage']) };
    });

    await step('refresh', async () => {
      if (!first.tokens.refresh_token) throw new PeerError('no refresh token was issued (is offline_access granted?)');
      const rotated = await client.refreshTokenGrant(web, first.tokens.refresh_token);
      if (!rotated.refresh_token || rotated.refresh_token === first.tokens.refresh_token) {
        throw new PeerError('refreshing did not rotate the refresh token');
      }
      if (rotated.id_token && rotated.claims()?.sub !== first.tokens.claims().sub) throw new PeerError('the refreshed ID token names another subject');
      const refusal = await expectGrantRefused(
        () => client.refreshTokenGrant(web, first.tokens.refresh_token),
        'redeeming the rotated-out refresh token');
      summary.refresh = { rotated: true, old_refresh_token: refusal };
    });

    await step('revocation', async () => {
      // A fresh grant: replaying the rotated-out token in 'refresh' already revoked that one (reuse detection).
      const grant = (await authorizationCodeFlow(web, browser, options, options.redirectUri)).tokens;
      const before = await client.tokenIntrospection(web, grant.refresh_token);
      if (before.active !== true) throw new PeerError(`the refresh token was not active before revocation: ${JSON.stringify(before)}`);
      await client.tokenRevocation(web, grant.refresh_token);
      const after = await client.tokenIntrospection(web, grant.refresh_token);
      if (after.active !== false) throw new PeerError(`the revoked refresh token still introspects as ${JSON.stringify(after)}`);
      const refusal = await expectGrantRefused(() => client.refreshTokenGrant(web, grant.refresh_token), 'redeeming a revoked refresh token');
      summary.revocation = { refresh_token_active_before: true, refresh_token_active_after: false, redeem_after: refusal };
    });

    await step('refresh_reuse', async () => {
      // A fresh grant (the SSO cookie makes it silent), so the check does not depend on 'refresh'.
      const grant = await authorizationCodeFlow(web, browser, options, options.redirectUri);
      const next = await client.refreshTokenGrant(web, grant.tokens.refresh_token);
      await expectGrantRefused(() => client.refreshTokenGrant(web, grant.tokens.refresh_token), 'replaying a used refresh token');
      // Reuse means theft: the whole grant goes, including the token the legitimate holder got.
      const revoked = await expectGrantRefused(() => client.refreshTokenGrant(web, next.refresh_token), 'the successor of a replayed refresh token');
      summary.refresh_reuse = { successor_refresh_token: revoked };
    });

    await step('par', async () => {
      if (!web.serverMetadata().pushed_authorization_request_endpoint) throw new PeerError('discovery has no pushed_authorization_request_endpoint');
      const grant = await authorizationCodeFlow(web, browser, options, options.redirectUri, { usePar: true });
      summary.par = { sub: grant.tokens.claims()?.sub };
    });

    await step('public_code', async () => {
      const spa = await discover(options, options.publicClientId, undefined, client.None());
      const grant = await authorizationCodeFlow(spa, browser, options, options.publicRedirectUri);
      summary.public_code = {
        consent_pages: grant.consentPages.length,
        sub: grant.tokens.claims()?.sub,
        has_refresh_token: Boolean(grant.tokens.refresh_token),
      };
    });

    await step('client_credentials', async () => {
      const service = await discover(options, options.serviceClientId, options.serviceSecret, client.ClientSecretBasic(options.serviceSecret));
      const parameters = options.serviceScope ? { scope: options.serviceScope } : {};
      const tokens = await client.clientCredentialsGrant(service, parameters);
      if (!tokens.access_token) throw new PeerError('no access token');
      if (tokens.id_token || tokens.refresh_token) throw new PeerError('client credentials returned an ID or refresh token');
      const header = jwtHeader(tokens.access_token);
      // A second request with client_secret_post: both methods are advertised by OpenIddict.
      const post = await discover(options, options.serviceClientId, options.serviceSecret, client.ClientSecretPost(options.serviceSecret));
      await client.clientCredentialsGrant(post, parameters);
      const wrong = await discover(options, options.serviceClientId, 'wrong-secret', client.ClientSecretBasic('wrong-secret'));
      try {
        await client.clientCredentialsGrant(wrong, parameters);
        throw new PeerError('a wrong client secret was accepted');
      } catch (error) {
        if (errorCode(error) !== 'invalid_client') {
          throw error instanceof PeerError ? error : new PeerError(`a wrong secret: expected invalid_client, got ${explain(error)}`);
        }
      }
      summary.client_credentials = {
        token_type: tokens.token_type,
        expires_in: tokens.expires_in,
        access_token_typ: header?.typ ?? null,
        access_token_alg: header?.alg ?? null,
        wrong_secret: 'invalid_client',
      };
    });

    await step('device', async () => {
      const device = await discover(
        options,
        options.deviceClientId,
        options.deviceClientSecret,
        options.deviceClientSecret ? client.ClientSecretBasic(options.deviceClientSecret) : client.None());
      const authorization = await client.initiateDeviceAuthorization(device, { scope: options.scope.replace('offline_access', '').trim() || 'openid' });
      // Before the user approves, the token endpoint must say so rather than issue anything.
      try {
        await client.genericGrantRequest(device, DEVICE_CODE_GRANT, { device_code: authorization.device_code });
        throw new PeerError('a device code was redeemed before the user approved it');
      } catch (error) {
        if (!(error instanceof client.ResponseBodyError) || error.error !== 'authorization_pending') {
          throw error instanceof PeerError ? error : new PeerError(`polling early: expected authorization_pending, got ${explain(error)}`);
        }
      }

      // The user types the code on the verification page with the browser that is signed in.
      const verification = new URL(authorization.verification_uri_complete ?? authorization.verification_uri);
      let page = await browser.navigate('GET', verification, undefined, null);
      let submissions = 0;
      for (let round = 0; round < 8; round++) {
        if (page.status >= 400) throw new PeerError(`the verification page answered ${describePage(page)}\n${browser.trail()}`);
        const forms = formsOf(page.body);
        const login = forms.find(isLoginForm);
        if (login) {
          page = await signIn(browser, page, login, options, null);
          continue;
        }
        const form = approvalForm(forms);
        if (!form) break;
        const codeField = form.inputs.find((i) => /user_?code/i.test(i.name) && i.type !== 'hidden');
        // After our submission, an empty code box is the page offering to enter another code: done.
        if (codeField && !codeField.value && submissions > 0) break;
        if (submissions >= 3) throw new PeerError(`still asked to approve after ${submissions} submissions: ${describePage(page)}`);
        const values = {};
        if (codeField && !codeField.value) values[codeField.name] = authorization.user_code;
        page = await browser.submit(page, form, values, null, acceptControl(form));
        submissions++;
      }
      if (submissions === 0) throw new PeerError(`no approval form on the verification page: ${describePage(page)}\n${browser.trail()}`);
      if (page.status >= 400) throw new PeerError(`approving the device answered ${describePage(page)}\n${browser.trail()}`);

      const tokens = await client.pollDeviceAuthorizationGrant(device, authorization, undefined, {
        signal: AbortSignal.timeout(options.timeoutSeconds * 1000),
      });
      if (!tokens.access_token) throw new PeerError('the device flow produced no access token');
      summary.device = {
        sub: tokens.claims()?.sub ?? null,
        has_id_token: Boolean(tokens.id_token),
        user_code_length: authorization.user_code.length,
      };
    });
  } catch (error) {
    process.stderr.write(`oidc-peer: step '${current}' failed: ${explain(error)}\n`);
    process.stdout.write(`${JSON.stringify({ ...summary, failed_step: current })}\n`);
    return 1;
  }

  process.stdout.write(`${JSON.stringify(summary)}\n`);
  return 0;
}

function ensureSlash(url) {
  return url.endsWith('/') ? url : `${url}/`;
}

function pick(object, keys) {
  return Object.fromEntries(keys.filter((key) => object?.[key] !== undefined).map((key) => [key, object[key]]));
}

/** The OAuth error code of a failed request: from the JSON body, or from a 401's WWW-Authenticate challenge (RFC 6749 §5.2). */
function errorCode(error) {
  if (error instanceof client.ResponseBodyError) return error.error;
  if (error instanceof client.WWWAuthenticateChallengeError) return error.cause?.[0]?.parameters?.error;
  return undefined;
}

function explain(error) {
  if (error instanceof PeerError) return error.message;
  if (error instanceof client.ResponseBodyError) {
    return `${error.status} ${error.error}${error.error_description ? `: ${error.error_description}` : ''}`;
  }
  if (error instanceof client.WWWAuthenticateChallengeError) {
    return `${error.status} ${JSON.stringify(error.cause)}`;
  }
  const cause = error?.cause ? ` (cause: ${error.cause instanceof Error ? error.cause.message : JSON.stringify(error.cause)})` : '';
  return `${error?.code ? `${error.code}: ` : ''}${error?.message ?? String(error)}${cause}`;
}

process.exitCode = await run(readOptions());
