// A real OAuth2/OIDC server (npm oidc-provider) for credd's refresh tests, on 127.0.0.1 only.
//
// usage: node server.mjs [--ttl SECONDS] [--login]
// Prints one JSON line on stdout once listening: {"issuer": URL, "control": URL}.
//
// The provider runs as configured in production, with short access-token lifetimes,
// refresh-token rotation, the client_credentials grant and introspection. A second,
// test-only HTTP server ("control") does what a test needs around it:
//   POST /mint            a refresh token for client rt-client, as if a user had logged
//                         in (created through the provider's own Grant/RefreshToken
//                         models: no browser interaction to drive)
//   GET  /stats           token endpoint requests so far, by grant_type
//   POST /delay?ms=N      hold every token response N ms (to make refreshes overlap)
//   POST /revoke          destroy every grant minted so far (refresh tokens die with it)
//   POST /introspect      body: a token; answers the real introspection endpoint's JSON
//
// With --login (credd's login tests) the provider also runs its interactive pages
// (devInteractions: a real login form for any user name, a consent page), the device
// flow, and three public native clients: device-client, device-short (device codes live
// 3 s) and native-client (authorization code + PKCE, loopback redirect on any port).
// ID tokens carry sub, email, preferred_username and name; every grant may issue a
// refresh token; the device authorization answer says interval 1 (the provider itself
// says nothing, which means 5 s).
import http from 'node:http';
import Provider from 'oidc-provider';

const ttlArg = process.argv.indexOf('--ttl');
const ttl = ttlArg > 0 ? Number(process.argv[ttlArg + 1]) : 10;

const clients = [
  {
    client_id: 'cc-client',
    client_secret: 'cc-secret-0123456789',
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    token_endpoint_auth_method: 'client_secret_basic',
  },
  {
    client_id: 'rt-client',
    client_secret: 'rt-secret-0123456789',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    redirect_uris: ['http://127.0.0.1/cb'],
    token_endpoint_auth_method: 'client_secret_post',
  },
  {
    client_id: 'introspector',
    client_secret: 'introspector-secret-0123456789',
    grant_types: [],
    response_types: [],
    redirect_uris: [],
    token_endpoint_auth_method: 'client_secret_basic',
  },
];

const login = process.argv.includes('--login');
if (login) {
  const publicNative = {
    token_endpoint_auth_method: 'none',
    application_type: 'native',
  };
  const device = {
    ...publicNative,
    grant_types: ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'],
    response_types: [],
    redirect_uris: [],
  };
  clients.push(
    { client_id: 'device-client', ...device },
    { client_id: 'device-short', ...device },
    {
      client_id: 'native-client',
      ...publicNative,
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      redirect_uris: ['http://127.0.0.1/callback'],
    },
  );
}

const stats = {};
let delayMs = 0;
const grants = [];

async function start() {
  const server = http.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, {
    clients,
    findAccount: async (ctx, id) => ({
      accountId: id,
      claims: async () => (login
        ? { sub: id, email: `${id}@example.test`, preferred_username: id, name: `User ${id}` }
        : { sub: id }),
    }),
    features: {
      clientCredentials: { enabled: true },
      introspection: { enabled: true },
      revocation: { enabled: true },
      devInteractions: { enabled: login },
      deviceFlow: { enabled: login },
    },
    scopes: login ? ['openid', 'offline_access', 'api', 'email', 'profile'] : ['openid', 'offline_access', 'api'],
    rotateRefreshToken: true,
    ttl: {
      AccessToken: ttl,
      ClientCredentials: ttl,
      RefreshToken: 24 * 3600,
      Grant: 24 * 3600,
      Session: 24 * 3600,
      ...(login ? {
        DeviceCode: (ctx, token, client) => (client && client.clientId === 'device-short' ? 3 : 600),
        Interaction: 600,
        AuthorizationCode: 60,
      } : {}),
    },
    ...(login ? {
      claims: { openid: ['sub'], email: ['email'], profile: ['preferred_username', 'name'] },
      conformIdTokenClaims: false,
      issueRefreshToken: async (ctx, client) => client.grantTypeAllowed('refresh_token'),
    } : {}),
  });
  provider.proxy = false;
    // Counted after the provider has parsed the request and set its answer, which koa
  // sends only once this middleware returns: so a delay here holds the response.
  provider.use(async (ctx, next) => {
    await next();
    if (login && ctx.path === '/device/auth' && ctx.body && typeof ctx.body === 'object') {
      ctx.body.interval = 1;
    }
    if (ctx.path === '/token' && ctx.method === 'POST') {
      const grantType = (ctx.oidc && ctx.oidc.params && ctx.oidc.params.grant_type) || 'none';
      stats[grantType] = (stats[grantType] || 0) + 1;
      if (delayMs > 0) {
        await new Promise((r) => setTimeout(r, delayMs));
      }
    }
  });
  server.on('request', provider.callback());

  const control = http.createServer(async (req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    let body = '';
    for await (const chunk of req) body += chunk;
    const reply = (status, obj) => {
      const text = JSON.stringify(obj);
      res.writeHead(status, {
        'content-type': 'application/json', 'content-length': Buffer.byteLength(text), connection: 'close',
      });
      res.end(text);
    };
    try {
      if (url.pathname === '/mint') {
        const client = await provider.Client.find('rt-client');
        const grant = new provider.Grant({ accountId: 'alice', clientId: 'rt-client' });
        grant.addOIDCScope('openid offline_access api');
        const grantId = await grant.save();
        grants.push(grantId);
        const rt = new provider.RefreshToken({
          client, accountId: 'alice', grantId, gty: 'authorization_code',
          scope: 'openid offline_access api', authTime: Math.floor(Date.now() / 1000),
        });
        return reply(200, { refresh_token: await rt.save() });
      }
      if (url.pathname === '/stats') return reply(200, stats);
      if (url.pathname === '/delay') {
        delayMs = Number(url.searchParams.get('ms') || 0);
        return reply(200, { delay: delayMs });
      }
      if (url.pathname === '/revoke') {
        for (const id of grants) {
          const g = await provider.Grant.find(id);
          if (g) await g.destroy();
        }
        return reply(200, { revoked: grants.length });
      }
      if (url.pathname === '/introspect') {
        const auth = Buffer.from('introspector:introspector-secret-0123456789').toString('base64');
        const r = await fetch(`${issuer}/token/introspection`, {
          method: 'POST',
          headers: { authorization: `Basic ${auth}`, 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ token: body.trim() }),
        });
        return reply(200, await r.json());
      }
      return reply(404, { error: 'not found' });
    } catch (e) {
      return reply(500, { error: String(e) });
    }
  });
  await new Promise((resolve) => control.listen(0, '127.0.0.1', resolve));
  process.stdout.write(`${JSON.stringify({ issuer, control: `http://127.0.0.1:${control.address().port}` })}\n`);
}

start().catch((e) => {
  process.stderr.write(`oidc test server: ${e.stack}\n`);
  process.exit(1);
});
