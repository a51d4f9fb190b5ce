import type { AuthorizationServer } from 'oauth4webapi';
import { IssuerMismatch, MetadataRefused } from './errors.js';
import { discover, isLoopback, requestOptions, supportedAuthMethods, validateMetadata } from './metadata.js';
import { allowInsecureRequests } from 'oauth4webapi';

const ISSUER = 'https://gitlab.example';

/** Metadata an OAuth 2.1 server with registration publishes (what the gitlab emulator serves). */
const GOOD: AuthorizationServer = {
  issuer: ISSUER,
  authorization_endpoint: `${ISSUER}/oauth/authorize`,
  token_endpoint: `${ISSUER}/oauth/token`,
  registration_endpoint: `${ISSUER}/oauth/register`,
  revocation_endpoint: `${ISSUER}/oauth/revoke`,
  response_types_supported: ['code'],
  grant_types_supported: ['authorization_code', 'refresh_token'],
  code_challenge_methods_supported: ['S256'],
  token_endpoint_auth_methods_supported: ['none', 'client_secret_basic'],
};

/** The `missing` list of the refusal validateMetadata throws for `as`. */
function refusal(as: AuthorizationServer, usable?: Parameters<typeof validateMetadata>[1]): readonly string[] {
  try {
    validateMetadata(as, usable);
  } catch (e) {
    expect(e).toBeInstanceOf(MetadataRefused);
    expect((e as MetadataRefused).issuer).toBe(ISSUER);
    return (e as MetadataRefused).missing;
  }
  throw new Error('validateMetadata accepted the metadata');
}

describe('validateMetadata (RFC 8414 §2 as an OAuth 2.1 client needs it)', () => {
  it('accepts a server with code, both grants, S256 and a usable auth method', () => {
    expect(validateMetadata(GOOD).token_endpoint).toBe(`${ISSUER}/oauth/token`);
  });

  it.each<[string, Partial<AuthorizationServer>, string]>([
    ['no refresh_token grant', { grant_types_supported: ['authorization_code'] }, 'grant_types_supported lacks refresh_token'],
    ['no authorization_code grant', { grant_types_supported: ['refresh_token', 'client_credentials'] }, 'grant_types_supported lacks authorization_code'],
    ['grant_types_supported omitted (authorization_code and implicit by default)', { grant_types_supported: undefined }, 'grant_types_supported lacks refresh_token'],
    ['no code response type', { response_types_supported: ['token'] }, 'response_types_supported lacks code'],
    ['no PKCE methods at all', { code_challenge_methods_supported: undefined }, 'code_challenge_methods_supported lacks S256'],
    ['only plain PKCE', { code_challenge_methods_supported: ['plain'] }, 'code_challenge_methods_supported offers only plain, not S256'],
    ['only private_key_jwt', { token_endpoint_auth_methods_supported: ['private_key_jwt'] }, 'token_endpoint_auth_methods_supported offers private_key_jwt, none of none, client_secret_basic, client_secret_post'],
    ['no token endpoint', { token_endpoint: undefined }, 'token_endpoint is missing'],
    ['no authorization endpoint', { authorization_endpoint: undefined }, 'authorization_endpoint is missing'],
  ])('refuses a server with %s, naming it', (_name, change, expected) => {
    expect(refusal({ ...GOOD, ...change })).toEqual([expected]);
  });

  it('refuses a public-only client when the server offers only secrets, and the default client_secret_basic when the list is omitted', () => {
    expect(refusal({ ...GOOD, token_endpoint_auth_methods_supported: ['client_secret_basic'] }, ['none'])).toEqual([
      'token_endpoint_auth_methods_supported offers client_secret_basic, none of none',
    ]);
    expect(refusal({ ...GOOD, token_endpoint_auth_methods_supported: undefined }, ['none'])).toEqual([
      'token_endpoint_auth_methods_supported offers client_secret_basic (by default), none of none',
    ]);
    expect(supportedAuthMethods({ ...GOOD, token_endpoint_auth_methods_supported: undefined })).toEqual(['client_secret_basic']);
  });

  it('lists every unmet requirement at once', () => {
    const missing = refusal({ issuer: ISSUER, response_types_supported: ['code'], code_challenge_methods_supported: ['plain'] });
    expect(missing).toEqual([
      'authorization_endpoint is missing',
      'token_endpoint is missing',
      'grant_types_supported lacks refresh_token',
      'code_challenge_methods_supported offers only plain, not S256',
    ]);
  });

  it('prefers none, then the secrets in the order the client lists them', () => {
    expect(supportedAuthMethods(GOOD)).toEqual(['none', 'client_secret_basic']);
    expect(supportedAuthMethods({ ...GOOD, token_endpoint_auth_methods_supported: ['client_secret_post', 'client_secret_basic'] })).toEqual(['client_secret_basic', 'client_secret_post']);
  });
});

describe('plain http only for loopback', () => {
  it.each([
    ['http://127.0.0.1:3000', true],
    ['http://localhost:3000', true],
    ['http://[::1]:3000', true],
    ['http://gitlab.example', false],
    ['http://127.0.0.1.nip.io', false],
  ])('%s is loopback: %s', (url, loopback) => {
    expect(isLoopback(new URL(url))).toBe(loopback);
    expect(requestOptions(new URL(url))[allowInsecureRequests]).toBe(loopback ? true : undefined);
  });

  it('never allows insecure requests for an https issuer', () => {
    expect(requestOptions(new URL('https://127.0.0.1'))[allowInsecureRequests]).toBeUndefined();
  });
});

describe('discover (RFC 8414 §3)', () => {
  /** fetch answering the well-known document with `body`, recording the URL asked for. */
  const serving = (body: unknown, asked: string[] = []) =>
    (async (input: string | URL | Request) => {
      asked.push(String(input));
      return new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } });
    }) as typeof fetch;

  it('reads /.well-known/oauth-authorization-server and returns validated metadata', async () => {
    const asked: string[] = [];
    expect((await discover(ISSUER, serving(GOOD, asked))).issuer).toBe(ISSUER);
    expect(asked).toEqual([`${ISSUER}/.well-known/oauth-authorization-server`]);
  });

  it('refuses metadata naming another issuer (RFC 8414 §3.3) with IssuerMismatch', async () => {
    const error = await discover(ISSUER, serving({ ...GOOD, issuer: 'https://attacker.example' })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IssuerMismatch);
    expect(error).toMatchObject({ expected: `${ISSUER}/`, actual: 'https://attacker.example' });
  });

  it('refuses metadata that does not meet OAuth 2.1 with MetadataRefused', async () => {
    await expect(discover(ISSUER, serving({ ...GOOD, code_challenge_methods_supported: ['plain'] }))).rejects.toThrow(MetadataRefused);
  });

  it('refuses a plain http issuer that is not loopback before sending anything', async () => {
    const asked: string[] = [];
    await expect(discover('http://gitlab.example', serving(GOOD, asked))).rejects.toThrow(/HTTPS/);
    expect(asked).toEqual([]);
  });
});
