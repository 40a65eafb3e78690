// A real, certified OpenID Provider (npm oidc-provider) on loopback, for the test suite only.
//
// Configured by environment variables so tests/support/oidc.py can start one per tenant and
// restart it with a new key (rotation) on the same port:
//   PORT          port on 127.0.0.1; 0 (default) picks a free one
//   ISSUER        issuer URL (default http://127.0.0.1:<port>)
//   AUDIENCE      `aud` of access tokens (default urn:reusegraph)
//   ALG           RS256 (default), PS256 or ES256
//   KID           kid of the generated signing key (default test-<alg>-1)
//   SIGNING_KEY   private JWK (JSON) to sign with instead of generating one
//   PREVIOUS_KEYS private JWKs (JSON list) still published in the JWKS, never used to sign
//   CLIENTS       JSON list of {client_id, client_secret, claims} client-credentials clients;
//                 `claims` are added to every access token issued to that client
//   USERS         JSON object login -> extra access-token claims for browser logins
//   REDIRECT_URIS JSON list of redirect URIs of the public `graphiql` client (code + PKCE)
//
// Prints `ready <issuer>` once listening and `request <METHOD> <path> <status>` per request, so
// tests can count discovery and JWKS fetches. Exits when stdin closes: a test run that dies
// never leaves this process behind.
import http from 'node:http';
import Provider from 'oidc-provider';
import { exportJWK, generateKeyPair } from 'jose';

const env = process.env;
const json = (name, fallback) => (env[name] ? JSON.parse(env[name]) : fallback);

const ALG = env.ALG || 'RS256';
if (!['RS256', 'PS256', 'ES256'].includes(ALG)) throw new Error(`ALG must be RS256, PS256 or ES256, not ${ALG}`);
const AUDIENCE = env.AUDIENCE || 'urn:reusegraph';
const CLIENTS = json('CLIENTS', []);
const USERS = json('USERS', {});
const REDIRECT_URIS = json('REDIRECT_URIS', ['http://127.0.0.1/auth/callback']);

async function signingKey() {
  if (env.SIGNING_KEY) return JSON.parse(env.SIGNING_KEY);
  const { privateKey } = await generateKeyPair(ALG, { extractable: true });
  return { ...(await exportJWK(privateKey)), kid: env.KID || `test-${ALG.toLowerCase()}-1`, alg: ALG, use: 'sig' };
}

const server = http.createServer();
await new Promise((resolve) => server.listen(+(env.PORT || 0), '127.0.0.1', resolve));
const ISSUER = env.ISSUER || `http://127.0.0.1:${server.address().port}`;

const claimsByClient = new Map(CLIENTS.map((c) => [c.client_id, c.claims || {}]));
const provider = new Provider(ISSUER, {
  jwks: { keys: [await signingKey(), ...json('PREVIOUS_KEYS', [])] },
  clients: [
    ...CLIENTS.map((c) => ({
      client_id: c.client_id,
      client_secret: c.client_secret,
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      id_token_signed_response_alg: ALG,
    })),
    {
      client_id: 'graphiql',
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code'],
      response_types: ['code'],
      redirect_uris: REDIRECT_URIS,
      id_token_signed_response_alg: ALG,
    },
  ],
  cookies: { keys: ['reusegraph-test-peer-only'] },
  ttl: {
    AccessToken: 300, AuthorizationCode: 60, ClientCredentials: 300, IdToken: 300,
    Interaction: 600, Session: 3600, Grant: 3600,
  },
  pkce: { required: () => true },
  scopes: ['openid', 'profile', 'graphql:read', 'graphql:write'],
  claims: { openid: ['sub'], profile: ['name', 'municipality', 'roles'] },
  findAccount: async (_ctx, sub) => ({
    accountId: sub,
    claims: async () => ({ sub, name: sub, ...(USERS[sub] || {}) }),
  }),
  features: {
    devInteractions: { enabled: true },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => AUDIENCE,
      useGrantedResource: () => true,
      getResourceServerInfo: () => ({
        audience: AUDIENCE,
        scope: 'graphql:read graphql:write',
        accessTokenFormat: 'jwt',
        accessTokenTTL: 300,
        jwt: { sign: { alg: ALG } },
      }),
    },
  },
  extraTokenClaims: async (_ctx, token) =>
    token.accountId ? USERS[token.accountId] || {} : claimsByClient.get(token.clientId) || {},
});
provider.proxy = false;
provider.use(async (ctx, next) => {
  try {
    await next();
  } finally {
    console.log(`request ${ctx.method} ${ctx.path} ${ctx.status}`);
  }
});
server.on('request', provider.callback());

process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => process.exit(0));
console.log(`ready ${ISSUER}`);
