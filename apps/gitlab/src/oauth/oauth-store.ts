/**
 * The authorization server's storage: every oidc-provider model (sessions, interactions, codes,
 * access and refresh tokens, grants, clients, registration access tokens) in one in-memory
 * store, keyed by model and id, through oidc-provider's adapter interface
 * (find/upsert/consume/destroy/revokeByGrantId/findByUid/findByUserCode).
 *
 * Why not oidc-provider's memory adapter: it is an LRU of 1000 entries
 * (lib/adapters/memory_adapter.js), so under load it silently forgets live tokens. This store
 * is bounded differently, and visibly:
 * - an entry lives until its own expiry (the TTL oidc-provider gives it) and is dropped then;
 * - access tokens are kept as tombstones when revoked, and for RETENTION_MS past their expiry,
 *   so the REST API can still tell "expired" and "revoked" from "unknown" as GitLab does
 *   (Doorkeeper keeps such rows with `revoked_at`);
 * - at `maxEntries` (OAUTH_STORE_MAX_ENTRIES) it first sweeps what has expired, then drops the
 *   tombstones and expired access tokens, and if it is still full refuses the write with
 *   StoreFullError (503 `temporarily_unavailable`); it never evicts a live entry.
 */

/** What oidc-provider stores for one model instance (opaque tokens keep their whole payload here). */
export interface StoredPayload {
  jti?: string;
  kind?: string;
  /** Epoch seconds. */
  iat?: number;
  exp?: number;
  grantId?: string;
  clientId?: string;
  accountId?: string;
  scope?: string;
  /** Epoch seconds at which a code or refresh token was used (single use, rotation). */
  consumed?: number;
  /** Session: its public uid. */
  uid?: string;
  userCode?: string;
  [member: string]: unknown;
}

/** The adapter interface oidc-provider 9 calls (one instance per model name). */
export interface ProviderAdapter {
  upsert(id: string, payload: StoredPayload, expiresIn?: number): Promise<void>;
  find(id: string): Promise<StoredPayload | undefined>;
  findByUid(uid: string): Promise<StoredPayload | undefined>;
  findByUserCode(userCode: string): Promise<StoredPayload | undefined>;
  consume(id: string): Promise<void>;
  destroy(id: string): Promise<void>;
  revokeByGrantId(grantId: string): Promise<void>;
}

/** An access token as the store knows it, live, expired or revoked. */
export interface AccessTokenRecord {
  payload: StoredPayload;
  revoked: boolean;
}

/**
 * Thrown when the store is full of live entries. Shaped as an oidc-provider error (status,
 * `expose`, `error_description`), so the engine answers 503 `temporarily_unavailable` (RFC 6749
 * §4.1.2.1) rather than a 500.
 */
export class StoreFullError extends Error {
  readonly status = 503;
  readonly statusCode = 503;
  readonly expose = true;
  readonly error = 'temporarily_unavailable';
  readonly error_description: string;

  constructor(maxEntries: number) {
    super('temporarily_unavailable');
    this.name = 'StoreFullError';
    this.error_description = `the authorization server holds ${maxEntries} live entries (OAUTH_STORE_MAX_ENTRIES); try again once tokens expire`;
  }
}

/** Models whose entries belong to a grant (oidc-provider's memory adapter `grantable`). */
const GRANTABLE = new Set(['AccessToken', 'AuthorizationCode', 'RefreshToken', 'DeviceCode', 'BackchannelAuthenticationRequest', 'PreAuthorizedCode']);
const ACCESS_TOKEN = 'AccessToken';

/** How long an expired access token stays known as expired (not unknown). */
export const RETENTION_MS = 24 * 60 * 60 * 1000;
/** A full store sweeps at most this often (a sweep walks every entry). */
const SWEEP_INTERVAL_MS = 1000;

interface Entry {
  payload: StoredPayload;
  /** Epoch ms at which the entry expires (Infinity: never). */
  expiresAt: number;
  /** Access tokens only: revoked, kept as a tombstone. */
  revoked?: boolean;
}

export class OAuthStore {
  private readonly models = new Map<string, Map<string, Entry>>();
  /** grantId -> `${model}\0${id}` of its live members. */
  private readonly grants = new Map<string, Set<string>>();
  private readonly sessionUids = new Map<string, string>();
  private readonly userCodes = new Map<string, string>();
  private count = 0;
  private lastSweep = Number.NEGATIVE_INFINITY;

  /**
   * @param maxEntries bound on stored entries of every model together (tombstones included)
   * @param now the clock, epoch ms (tests pass a fixed one)
   */
  constructor(
    readonly maxEntries: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Entries held now (live, expired not yet swept, tombstones). */
  get size(): number {
    return this.count;
  }

  /** The adapter of one model, as oidc-provider's `adapter` factory returns it. */
  adapterFor(model: string): ProviderAdapter {
    return {
      upsert: async (id, payload, expiresIn) => this.upsert(model, id, payload, expiresIn),
      find: async (id) => this.find(model, id),
      findByUid: async (uid) => {
        const id = this.sessionUids.get(uid);
        return id === undefined ? undefined : this.find(model, id);
      },
      findByUserCode: async (userCode) => {
        const id = this.userCodes.get(userCode);
        return id === undefined ? undefined : this.find(model, id);
      },
      consume: async (id) => {
        const entry = this.live(model, id);
        if (entry) entry.payload.consumed = Math.floor(this.now() / 1000);
      },
      destroy: async (id) => this.destroy(model, id),
      revokeByGrantId: async (grantId) => this.revokeGrant(grantId),
    };
  }

  upsert(model: string, id: string, payload: StoredPayload, expiresIn?: number): void {
    const entries = this.entriesOf(model);
    const previous = entries.get(id);
    if (previous) this.unindex(model, id, previous);
    else this.makeRoom();
    const expiresAt = typeof expiresIn === 'number' ? this.now() + expiresIn * 1000 : Number.POSITIVE_INFINITY;
    const entry: Entry = { payload, expiresAt };
    entries.set(id, entry);
    if (!previous) this.count += 1;
    this.index(model, id, entry);
  }

  /** The payload of a live (not revoked) entry; expired access tokens are returned for oidc-provider to refuse by `exp`. */
  find(model: string, id: string): StoredPayload | undefined {
    const entry = this.live(model, id);
    return entry?.revoked ? undefined : entry?.payload;
  }

  /** Every live entry of a model (clients: the OAuth applications). */
  list(model: string): StoredPayload[] {
    const out: StoredPayload[] = [];
    for (const id of [...this.entriesOf(model).keys()]) {
      const payload = this.find(model, id);
      if (payload) out.push(payload);
    }
    return out;
  }

  /** An access token by value, live, expired (within RETENTION_MS) or revoked; undefined when never issued or forgotten. */
  accessToken(value: string): AccessTokenRecord | undefined {
    const entry = this.live(ACCESS_TOKEN, value);
    return entry && { payload: entry.payload, revoked: entry.revoked === true };
  }

  /** Live access tokens of a grant (Doorkeeper's token chain of one authorization). */
  accessTokensOfGrant(grantId: string): StoredPayload[] {
    const prefix = `${ACCESS_TOKEN}\0`;
    const out: StoredPayload[] = [];
    for (const key of this.grants.get(grantId) ?? []) {
      if (!key.startsWith(prefix)) continue;
      const payload = this.find(ACCESS_TOKEN, key.slice(prefix.length));
      if (payload) out.push(payload);
    }
    return out;
  }

  /**
   * Revokes the grant's access tokens stored before `value` (insertion order: the older links of
   * the token chain), keeping `value` and any newer one. Returns how many were revoked.
   */
  revokeAccessTokensBefore(grantId: string, value: string): number {
    const members = this.grants.get(grantId);
    const self = `${ACCESS_TOKEN}\0${value}`;
    if (!members?.has(self)) return 0;
    const older: string[] = [];
    for (const key of members) {
      if (key === self) break;
      if (key.startsWith(`${ACCESS_TOKEN}\0`)) older.push(key.slice(ACCESS_TOKEN.length + 1));
    }
    for (const id of older) this.destroy(ACCESS_TOKEN, id);
    return older.length;
  }

  /** Revokes (access tokens) or deletes (everything else) an entry. */
  destroy(model: string, id: string): void {
    const entries = this.models.get(model);
    const entry = entries?.get(id);
    if (!entries || !entry) return;
    this.unindex(model, id, entry);
    if (model === ACCESS_TOKEN) {
      entry.revoked = true;
      return;
    }
    entries.delete(id);
    this.count -= 1;
  }

  /** Every member of a grant, as oidc-provider's revoke() and reuse detection ask. */
  revokeGrant(grantId: string): void {
    const members = this.grants.get(grantId);
    if (!members) return;
    this.grants.delete(grantId);
    for (const key of members) {
      const cut = key.indexOf('\0');
      this.destroy(key.slice(0, cut), key.slice(cut + 1));
    }
  }

  /**
   * Forgets every entry `match` selects, tombstones included: an application deleted takes its
   * tokens with it (Doorkeeper's `dependent: :delete_all`), so they become unknown, not revoked.
   */
  forgetWhere(match: (model: string, payload: StoredPayload) => boolean): void {
    this.sweep((model, entry) => match(model, entry.payload));
  }

  /** Forgets everything (the harness control API's reset). */
  clear(): void {
    this.models.clear();
    this.grants.clear();
    this.sessionUids.clear();
    this.userCodes.clear();
    this.count = 0;
  }

  private entriesOf(model: string): Map<string, Entry> {
    let entries = this.models.get(model);
    if (!entries) {
      entries = new Map();
      this.models.set(model, entries);
    }
    return entries;
  }

  /** The entry unless it is past keeping (dropped then). */
  private live(model: string, id: string): Entry | undefined {
    const entry = this.models.get(model)?.get(id);
    if (!entry) return undefined;
    if (this.pastKeeping(model, entry, this.now())) {
      this.drop(model, id, entry);
      return undefined;
    }
    return entry;
  }

  private pastKeeping(model: string, entry: Entry, now: number): boolean {
    return now >= entry.expiresAt + (model === ACCESS_TOKEN ? RETENTION_MS : 0);
  }

  /** Removes an entry outright (expiry, a sweep, forgetWhere). */
  private drop(model: string, id: string, entry: Entry): void {
    if (!entry.revoked) this.unindex(model, id, entry);
    this.models.get(model)?.delete(id);
    this.count -= 1;
  }

  private makeRoom(): void {
    if (this.count < this.maxEntries) return;
    const now = this.now();
    if (now - this.lastSweep >= SWEEP_INTERVAL_MS) {
      this.lastSweep = now;
      this.sweep((model, entry) => this.pastKeeping(model, entry, now));
      // Still full: tombstones and expired access tokens only serve nicer error messages.
      if (this.count >= this.maxEntries) this.sweep((model, entry) => model === ACCESS_TOKEN && (entry.revoked === true || now >= entry.expiresAt));
    }
    if (this.count >= this.maxEntries) throw new StoreFullError(this.maxEntries);
  }

  private sweep(doomed: (model: string, entry: Entry) => boolean): void {
    for (const [model, entries] of this.models) {
      for (const [id, entry] of [...entries]) if (doomed(model, entry)) this.drop(model, id, entry);
    }
  }

  private index(model: string, id: string, entry: Entry): void {
    const { grantId, uid, userCode } = entry.payload;
    if (GRANTABLE.has(model) && grantId) {
      let members = this.grants.get(grantId);
      if (!members) {
        members = new Set();
        this.grants.set(grantId, members);
      }
      members.add(`${model}\0${id}`);
    }
    if (model === 'Session' && uid) this.sessionUids.set(uid, id);
    if (userCode) this.userCodes.set(userCode, id);
  }

  private unindex(model: string, id: string, entry: Entry): void {
    const { grantId, uid, userCode } = entry.payload;
    if (grantId) {
      const members = this.grants.get(grantId);
      members?.delete(`${model}\0${id}`);
      if (members?.size === 0) this.grants.delete(grantId);
    }
    if (uid && this.sessionUids.get(uid) === id) this.sessionUids.delete(uid);
    if (userCode && this.userCodes.get(userCode) === id) this.userCodes.delete(userCode);
  }
}
