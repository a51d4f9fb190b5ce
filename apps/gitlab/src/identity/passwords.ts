import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

/** A password as stored: scrypt(password, salt); the clear text is never kept. */
export interface PasswordHash {
  salt: Buffer;
  hash: Buffer;
}

const KEY_LENGTH = 32;
// Node's defaults (N=2^14, r=8, p=1): about 50 ms per hash, fine for a handful of seeded users.
const PARAMS = { N: 16384, r: 8, p: 1 };

function derive(password: string, salt: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password, salt, KEY_LENGTH, PARAMS, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

export async function hashPassword(password: string): Promise<PasswordHash> {
  const salt = randomBytes(16);
  return { salt, hash: await derive(password, salt) };
}

/** Constant-time comparison of a candidate password with a stored hash. */
export async function verifyPassword(candidate: string, stored: PasswordHash): Promise<boolean> {
  const key = await derive(candidate, stored.salt);
  return timingSafeEqual(key, stored.hash);
}
