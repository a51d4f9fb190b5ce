import { mkdtempSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileOAuthStore, MemoryOAuthStore, type OAuthStore, deploymentKey } from './store.js';

const A = 'https://gitlab.example';
const B = 'http://127.0.0.1:3000';
const REGISTRATION = { client_id: 'client-a', token_endpoint_auth_method: 'none', redirect_uris: ['http://127.0.0.1:9/callback'] };
const TOKENS = { access_token: 'at-a', refresh_token: 'rt-a', expires_at: 1_900_000_000 };

const folder = () => mkdtempSync(join(tmpdir(), 'oauth21-store-'));

describe.each<[string, () => OAuthStore]>([
  ['MemoryOAuthStore', () => new MemoryOAuthStore()],
  ['FileOAuthStore', () => new FileOAuthStore(folder())],
])('%s', (_name, make) => {
  it('keeps registration and tokens per deployment, the issuer with or without its trailing slash being one', async () => {
    const store = make();
    await store.update(A, (r) => ({ ...r, registration: REGISTRATION }));
    await store.update(`${A}/`, (r) => ({ ...r, tokens: TOKENS }));
    await store.update(B, (r) => ({ ...r, registration: { ...REGISTRATION, client_id: 'client-b' } }));
    expect(await store.read(A)).toEqual({ registration: REGISTRATION, tokens: TOKENS });
    expect(await store.read(B)).toEqual({ registration: { ...REGISTRATION, client_id: 'client-b' } });
    expect(await store.read('https://other.example')).toEqual({});
  });

  it('loses no update when several run at once (read-modify-write per deployment is serialised)', async () => {
    const store = make();
    await Promise.all([
      store.update(A, (r) => ({ ...r, registration: REGISTRATION })),
      store.update(A, (r) => ({ ...r, tokens: TOKENS })),
      store.update(B, (r) => ({ ...r, tokens: { access_token: 'at-b' } })),
    ]);
    expect(await store.read(A)).toEqual({ registration: REGISTRATION, tokens: TOKENS });
    expect(await store.read(B)).toEqual({ tokens: { access_token: 'at-b' } });
  });

  it('forgets a deployment whose record becomes empty, leaving the others', async () => {
    const store = make();
    await store.update(A, () => ({ registration: REGISTRATION, tokens: TOKENS }));
    await store.update(B, () => ({ tokens: TOKENS }));
    await store.update(A, () => ({}));
    expect(await store.read(A)).toEqual({});
    expect(await store.read(B)).toEqual({ tokens: TOKENS });
  });

  it('hands out copies: changing a read record does not change the store', async () => {
    const store = make();
    await store.update(A, () => ({ tokens: { ...TOKENS } }));
    const read = await store.read(A);
    read.tokens!.access_token = 'changed';
    expect((await store.read(A)).tokens!.access_token).toBe('at-a');
  });
});

describe('FileOAuthStore on disk', () => {
  it('writes one 0600 JSON file per deployment, naming its issuer, and leaves no temporary file behind', async () => {
    const dir = join(folder(), 'nested');
    const store = new FileOAuthStore(dir);
    await store.update(A, () => ({ registration: REGISTRATION, tokens: TOKENS }));
    await store.update(B, () => ({ tokens: TOKENS }));
    expect(readdirSync(dir).sort()).toEqual([store.pathOf(A), store.pathOf(B)].map((p) => p.slice(dir.length + 1)).sort());
    expect(statSync(store.pathOf(A)).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(JSON.parse(readFileSync(store.pathOf(A), 'utf8'))).toEqual({ issuer: deploymentKey(A), registration: REGISTRATION, tokens: TOKENS });
  });

  it('replaces the record by rename: an update that throws leaves the previous record intact', async () => {
    const store = new FileOAuthStore(folder());
    await store.update(A, () => ({ tokens: TOKENS }));
    await expect(
      store.update(A, () => {
        throw new Error('change failed');
      }),
    ).rejects.toThrow('change failed');
    expect(await store.read(A)).toEqual({ tokens: TOKENS });
    expect(readdirSync(store.folder).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('reads what another instance on the same folder wrote (the IDE restarted)', async () => {
    const dir = folder();
    await new FileOAuthStore(dir).update(A, () => ({ registration: REGISTRATION }));
    expect(await new FileOAuthStore(dir).read(`${A}/`)).toEqual({ registration: REGISTRATION });
  });
});
