import { containsSecret, redactSecret, scrub, withoutSecret } from './secret-scrub.js';

describe('secret scrubbing', () => {
  it('replaces the secret in nested strings and keys and leaves other values alone', () => {
    expect(scrub({ a: ['x-s3cret-x', 1, null, true], s3cret: { b: 's3cret' } }, 's3cret')).toEqual({
      a: ['x-[REDACTED]-x', 1, null, true],
      '[REDACTED]': { b: '[REDACTED]' },
    });
  });

  it('replaces the percent-encoded form too', () => {
    expect(redactSecret('a=s3%2Fcret&b=s3/cret', 's3/cret')).toBe('a=[REDACTED]&b=[REDACTED]');
    expect(redactSecret('nothing here', '')).toBe('nothing here');
  });

  it('finds the secret at any depth without recursion', () => {
    const deep = JSON.parse('['.repeat(100_000) + '"s3cret"' + ']'.repeat(100_000)) as unknown;
    expect(containsSecret(deep, 's3cret')).toBe(true);
    expect(containsSecret({ ok: ['fine', 1, { s: 'also fine' }] }, 's3cret')).toBe(false);
    expect(containsSecret({ s3cret: 1 }, 's3cret')).toBe(true);
  });

  it('keeps the body text only when the body carries no secret', () => {
    const clean = { status: 401, body: { message: 'no' }, bodyText: '{"message" : "no"}', headers: { 'www-authenticate': 'Bearer s3cret' } };
    expect(withoutSecret(clean, 's3cret')).toEqual({ ...clean, headers: { 'www-authenticate': 'Bearer [REDACTED]' } });
    const echoed = { status: 401, body: { message: 's3cret' }, bodyText: '{"message":"s3cret"}' };
    expect(withoutSecret(echoed, 's3cret')).toEqual({ status: 401, body: { message: '[REDACTED]' } });
  });
});
