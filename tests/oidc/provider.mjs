// A real OpenID Connect provider on loopback for the sign-in tests. Configured by the
// environment: PORT, CLIENTS (JSON list of client metadata), ACCOUNTS (JSON object
// accountId -> claims), ID_TOKEN_TTL (seconds). Prints "ready" when it listens.
import Provider from 'oidc-provider';

const port = Number(process.env.PORT);
const issuer = `http://127.0.0.1:${port}`;
const accounts = JSON.parse(process.env.ACCOUNTS || '{}');

const provider = new Provider(issuer, {
  clients: JSON.parse(process.env.CLIENTS || '[]'),
  async findAccount(ctx, id) {
    if (!accounts[id]) return undefined;
    return { accountId: id, async claims() { return { sub: id, ...accounts[id] }; } };
  },
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'given_name', 'family_name', 'locale', 'employee_number'],
  },
  conformIdTokenClaims: false, // put the scope's claims in the ID token itself
  features: {
    devInteractions: { enabled: true },
    rpInitiatedLogout: { enabled: true },
  },
  pkce: { required: () => true },
  ttl: { IdToken: Number(process.env.ID_TOKEN_TTL || 3600) },
  cookies: { keys: ['guardrail-test-cookie-key'] },
});

provider.listen(port, '127.0.0.1', () => console.log('ready'));
