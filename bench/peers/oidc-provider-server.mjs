#!/usr/bin/env node
// The comparison peer for bench/run.sh: npm oidc-provider (panva) configured the way the benchmark
// needs it and no further — one confidential client allowed only client_credentials, authenticated
// with client_secret_basic, and access tokens issued as RS256-signed JWTs (RFC 9068) through the
// resource-indicators feature (oidc-provider issues opaque tokens otherwise). In-memory adapter:
// JWT access tokens are not stored, so this is oidc-provider's fastest honest configuration for
// the same kind of token Latchkey issues.
//
// Usage: BENCH_CLIENT_ID=... BENCH_CLIENT_SECRET=... node oidc-provider-server.mjs --port 4000
// Prints "listening <url>" on stdout when ready.

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
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: 'client_secret_basic',
    },
  ],
  jwks: { keys: [{ ...signingKey, alg: 'RS256', use: 'sig', kid: 'bench-rs256' }] },
  scopes: ['api'],
  features: {
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
provider.listen(port, host, () => {
  process.stdout.write(`listening ${issuer}\n`);
});
