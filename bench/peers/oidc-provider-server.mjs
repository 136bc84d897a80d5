#!/usr/bin/env node
// The comparison peer for bench/run.sh: npm oidc-provider (panva) configured the way the benchmark
// needs it and no further — one confidential client allowed only client_credentials, authenticated
// with client_secret_basic, and access tokens issued as RS256-signed JWTs (RFC 9068) through the
// resource-indicators feature (oidc-provider issues opaque tokens otherwise). In-memory adapter:
// JWT access tokens are not stored, so this is oidc-provider's fastest honest configuration for
// the same kind of token Latchkey issues.
//
// For the refresh-token and introspection scenarios it also allows authorization_code + refresh_token,
// enables introspection, and at start mints one refresh token for a fixed account (as a completed code
// flow would) — with rotateRefreshToken off, so wrk may present it again and again.
//
// Usage: BENCH_CLIENT_ID=... BENCH_CLIENT_SECRET=... node oidc-provider-server.mjs --port 4000
// Prints "refresh_token <value>" and then "listening <url>" on stdout when ready.

import { generateKeyPairSync } from 'node:crypto';
import { parseArgs } from 'node:util';
import Provider from 'oidc-provider';

const { values } = parseArgs({ options: { port: { type: 'string' }, host: { type: 'string' } }, strict: true });
const host = values.host ?? '127.0.0.1';
const port = Number(values.port ?? 4000);
const clientId = process.env.BENCH_CLIENT_ID;
const clientSecret = process.env.BENCH_CLIENT_SECRET;
if (!clientId || !clientSecret) {
  process.stderr.write('BENCH_CLIENT_ID and BENCH_CLIENT_SECRET must be set\n');
  process.exit(2);
}

const resource = 'urn:latchkey:bench';
const signingKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
const issuer = `http://${host}:${port}`;

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: clientId,
      client_secret: clientSecret,
      grant_types: ['client_credentials', 'authorization_code', 'refresh_token'],
      response_types: ['code'],
      redirect_uris: ['http://127.0.0.1/bench/callback'],
      token_endpoint_auth_method: 'client_secret_basic',
    },
  ],
  jwks: { keys: [{ ...signingKey, alg: 'RS256', use: 'sig', kid: 'bench-rs256' }] },
  scopes: ['api', 'openid', 'offline_access'],
  rotateRefreshToken: false,
  findAccount: (ctx, sub) => ({ accountId: sub, claims: () => ({ sub }) }),
  features: {
    introspection: { enabled: true },
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => resource,
      useGrantedResource: () => true,
      getResourceServerInfo: () => ({
        scope: 'api',
        audience: resource,
        accessTokenTTL: 3600,
        accessTokenFormat: 'jwt',
        jwt: { sign: { alg: 'RS256' } },
      }),
    },
  },
});

// Requests are not logged: logging would cost oidc-provider time that Latchkey (at Warning) does not spend.
const grant = new provider.Grant({ accountId: 'bench-user', clientId });
grant.addOIDCScope('openid offline_access');
const grantId = await grant.save();
const client = await provider.Client.find(clientId);
const refreshToken = new provider.RefreshToken({
  accountId: 'bench-user', client, grantId, scope: 'openid offline_access', gty: 'authorization_code', authTime: Math.floor(Date.now() / 1000),
});
process.stdout.write(`refresh_token ${await refreshToken.save()}\n`);

provider.listen(port, host, () => {
  process.stdout.write(`listening ${issuer}\n`);
});
