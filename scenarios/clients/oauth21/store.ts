/**
 * Per-deployment storage of the OAuth 2.1 reference client (seed 003: "Store OAuth tokens
 * (access, refresh, expiry) per-deployment in secrets; store dynamic client registrations
 * per-deployment in secrets"). A deployment is its issuer URL (RFC 8414 §2). Two
 * implementations: a JSON file per deployment in a working folder (written atomically, mode
 * 0600) and an in-memory one for tests. Neither logs anything: the records hold tokens.
 */
import { createHash, randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The client's registration as the server answered it (RFC 7591 §3.2.1), the members the client uses. */
export interface StoredRegistration {
  client_id: string;
  /** Present only when the server made the client confidential. */
  client_secret?: string;
  /** RFC 7591 §2; `none` for the public client this client asks to be. */
  token_endpoint_auth_method: string;
  redirect_uris: string[];
  /** The scope the server granted the client, when it said (GitLab's dynamic clients: `mcp`). */
  scope?: string;
  /** RFC 7592 §3: how to read, update or delete the registration, when the server supports it. */
  registration_access_token?: string;
  registration_client_uri?: string;
}

/** The session's tokens (RFC 6749 §5.1). */
export interface StoredTokens {
  access_token: string;
  refresh_token?: string;
  /** When the access token expires: epoch seconds, from `expires_in` at receipt; absent when the server gave no `expires_in`. */
  expires_at?: number;
  scope?: string;
}

/** What the client keeps about one deployment. */
export interface DeploymentRecord {
  registration?: StoredRegistration;
  tokens?: StoredTokens;
}

/** Per-deployment storage, keyed by issuer URL (see deploymentKey). Every method may be called concurrently. */
export interface OAuthStore {
  read(issuer: string): Promise<DeploymentRecord>;
  /** Applies `change` to the deployment's record and stores the result (an empty record removes it). */
  update(issuer: string, change: (record: DeploymentRecord) => DeploymentRecord): Promise<DeploymentRecord>;
}

/** The key of a deployment: its issuer URL, normalised so `https://gl.example` and `https://gl.example/` are one deployment. */
export function deploymentKey(issuer: string): string {
  return new URL(issuer).href.replace(/\/$/, '');
}

const isEmpty = (r: DeploymentRecord) => r.registration === undefined && r.tokens === undefined;

/** Runs updates of one key one after another, so a read-modify-write never loses a concurrent one. */
class KeyedQueue {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, job: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const next = previous.then(job, job);
    const tail = next.catch(() => undefined);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return next;
  }
}

/** In memory, for tests: records are copied in and out, so callers never share an object with the store. */
export class MemoryOAuthStore implements OAuthStore {
  private readonly records = new Map<string, DeploymentRecord>();
  private readonly queue = new KeyedQueue();

  async read(issuer: string): Promise<DeploymentRecord> {
    return structuredClone(this.records.get(deploymentKey(issuer)) ?? {});
  }

  update(issuer: string, change: (record: DeploymentRecord) => DeploymentRecord): Promise<DeploymentRecord> {
    const key = deploymentKey(issuer);
    return this.queue.run(key, async () => {
      const next = change(structuredClone(this.records.get(key) ?? {}));
      if (isEmpty(next)) this.records.delete(key);
      else this.records.set(key, structuredClone(next));
      return structuredClone(next);
    });
  }
}

/**
 * One JSON file per deployment in `folder` (created 0700), named by the SHA-256 of the
 * deployment key: `{ issuer, registration?, tokens? }`. A write goes to a temporary file in the
 * same folder (mode 0600) and is renamed over the record, so a reader or a crash never sees half
 * a record. An empty record deletes the file.
 */
export class FileOAuthStore implements OAuthStore {
  private readonly queue = new KeyedQueue();

  constructor(readonly folder: string) {}

  /** The file of `issuer`'s record. */
  pathOf(issuer: string): string {
    return join(this.folder, `${createHash('sha256').update(deploymentKey(issuer)).digest('hex').slice(0, 32)}.json`);
  }

  async read(issuer: string): Promise<DeploymentRecord> {
    const key = deploymentKey(issuer);
    return this.queue.run(key, () => this.load(key, this.pathOf(issuer)));
  }

  update(issuer: string, change: (record: DeploymentRecord) => DeploymentRecord): Promise<DeploymentRecord> {
    const key = deploymentKey(issuer);
    const path = this.pathOf(issuer);
    return this.queue.run(key, async () => {
      const next = change(await this.load(key, path));
      if (isEmpty(next)) await rm(path, { force: true });
      else await this.writeAtomically(path, `${JSON.stringify({ issuer: key, ...next }, null, 2)}\n`);
      return next;
    });
  }

  private async load(key: string, path: string): Promise<DeploymentRecord> {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw e;
    }
    const parsed = JSON.parse(text) as DeploymentRecord & { issuer?: string };
    // Two issuers whose hashes collide in 128 bits would be a bug worth hearing of, not a shared record.
    if (parsed.issuer !== key) throw new Error(`${path} holds the record of ${String(parsed.issuer)}, not of ${key}`);
    const { issuer: _issuer, ...record } = parsed;
    return record;
  }

  private async writeAtomically(path: string, text: string): Promise<void> {
    await mkdir(this.folder, { recursive: true, mode: 0o700 });
    const temp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      await writeFile(temp, text, { mode: 0o600, flag: 'wx' });
      // writeFile's mode is filtered by the umask; the record holds secrets, so set it exactly.
      await chmod(temp, 0o600);
      await rename(temp, path);
    } catch (e) {
      await rm(temp, { force: true });
      throw e;
    }
  }
}
