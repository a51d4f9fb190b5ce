import { USER_AGENT } from '#contracts';
import { BodyTooLargeError, jsonBoundsViolation, outboundTraceHeaders, readBoundedText, UNTRUSTED_JSON_BOUNDS } from '#common';
import { issuerWithoutTrailingSlash } from '../config.js';
import type { FetchFn } from '../di.js';

/**
 * Why a discovery or JWKS fetch failed. `misconfigured` is the issuer's answer being wrong
 * (another issuer named, no jwks_uri, no JWK Set, no usable key): a human must act, so it is
 * logged as an error; the other kinds are outages and are logged as warnings.
 */
export type IssuerFetchFailure = 'unreachable' | 'timeout' | 'http-status' | 'too-large' | 'not-json' | 'misconfigured';

export class IssuerFetchError extends Error {
  constructor(
    readonly failure: IssuerFetchFailure,
    message: string,
  ) {
    super(message);
    this.name = 'IssuerFetchError';
  }
}

/** What an issuer's OIDC discovery document says that the gateway uses. */
export interface Discovery {
  /** The issuer as the document spells it: tokens' `iss` must equal it exactly. */
  issuer: string;
  jwksUri: string;
}

/** HTTP validators of a JWKS response, sent back to make the next re-fetch conditional (RFC 9110 §13.1). */
export interface Validators {
  etag?: string;
  lastModified?: string;
}

export type JwksDocument = { notModified: true } | { notModified: false; keys: readonly unknown[]; validators: Validators };

export interface IssuerDocumentsOptions {
  fetch: FetchFn;
  /** Per request, headers and body together. */
  timeoutMs: number;
  /** Largest body read from the issuer, bytes; a larger one is refused unread (`too-large`). */
  maxBytes: number;
  /** Aborts every request in flight (app shutdown). */
  closing: AbortSignal;
}

const ACCEPT_JSON = { 'user-agent': USER_AGENT.GATEWAY, accept: 'application/json' } as const;

/**
 * Whether a discovery document's `issuer` names the configured issuer. They must be identical
 * (OpenID Connect Discovery §4.3, RFC 8414 §3.3), except for one terminating '/': Discovery
 * §4.1 removes it before appending the well-known path, so `https://gitlab.example` and
 * `https://gitlab.example/` fetch the same document, and an operator who wrote the other
 * spelling must not lose every key for it. The document's spelling then decides what `iss`
 * tokens must carry.
 */
export function namesConfiguredIssuer(configured: string, discovered: string): boolean {
  return configured === discovered || issuerWithoutTrailingSlash(configured) === issuerWithoutTrailingSlash(discovered);
}

/**
 * The gateway's only client of token issuers: GETs the discovery document and the JWKS with a
 * timeout, a body cap (readBoundedText) and JSON bounds, and turns every failure into an
 * IssuerFetchError whose message names the URL and the cause, never a body.
 */
export class IssuerDocuments {
  constructor(private readonly options: IssuerDocumentsOptions) {}

  /** GET <issuer>/.well-known/openid-configuration and check `issuer` and `jwks_uri`. */
  async discovery(configuredIssuer: string, url: string): Promise<Discovery> {
    const { body } = await this.getJson(url, ACCEPT_JSON);
    const { issuer, jwks_uri: jwksUri } = (body ?? {}) as { issuer?: unknown; jwks_uri?: unknown };
    if (typeof issuer !== 'string' || !namesConfiguredIssuer(configuredIssuer, issuer)) {
      throw new IssuerFetchError(
        'misconfigured',
        `${url} names issuer ${shortJson(issuer)}, not the configured ${JSON.stringify(configuredIssuer)} ` +
          '(OpenID Connect Discovery §4.3, RFC 8414 §3.3); the last good keys keep serving until stale-if-error ends',
      );
    }
    if (typeof jwksUri !== 'string' || !isHttpUrl(jwksUri)) throw new IssuerFetchError('misconfigured', `${url} has no http(s) jwks_uri`);
    return { issuer, jwksUri };
  }

  /** GET the JWK Set, conditionally when validators of the cached copy are given (304 -> notModified). */
  async jwks(url: string, validators?: Validators): Promise<JwksDocument> {
    const headers: Record<string, string> = { ...ACCEPT_JSON };
    if (validators?.etag) headers['if-none-match'] = validators.etag;
    if (validators?.lastModified) headers['if-modified-since'] = validators.lastModified;
    const { body, response } = await this.getJson(url, headers, validators !== undefined);
    if (body === NOT_MODIFIED) return { notModified: true };
    const keys = (body as { keys?: unknown } | null)?.keys;
    if (!Array.isArray(keys)) throw new IssuerFetchError('misconfigured', `${url} did not return a JWK Set ({"keys": [...]})`);
    const etag = response.headers.get('etag') ?? undefined;
    const lastModified = response.headers.get('last-modified') ?? undefined;
    return { notModified: false, keys, validators: { ...(etag ? { etag } : {}), ...(lastModified ? { lastModified } : {}) } };
  }

  private async getJson(url: string, headers: Record<string, string>, allowNotModified = false): Promise<{ body: unknown; response: Response }> {
    const timeout = AbortSignal.timeout(this.options.timeoutMs);
    const signal = AbortSignal.any([timeout, this.options.closing]);
    const transportError = (e: unknown): IssuerFetchError =>
      timeout.aborted
        ? new IssuerFetchError('timeout', `${url} did not answer within ${this.options.timeoutMs} ms`)
        : new IssuerFetchError('unreachable', `${url} unreachable: ${messageOf(e)}`);
    let response: Response;
    try {
      response = await this.options.fetch(url, { headers: { ...headers, ...outboundTraceHeaders('ai-gateway') }, signal });
    } catch (e) {
      throw transportError(e);
    }
    if (allowNotModified && response.status === 304) {
      await response.body?.cancel().catch(() => undefined);
      return { body: NOT_MODIFIED, response };
    }
    if (response.status !== 200) {
      await response.body?.cancel().catch(() => undefined);
      throw new IssuerFetchError('http-status', `${url} answered HTTP ${response.status}`);
    }
    let text: string;
    try {
      text = await readBoundedText(response, this.options.maxBytes);
    } catch (e) {
      if (e instanceof BodyTooLargeError) throw new IssuerFetchError('too-large', `${url} sent a body over ${e.limitBytes} bytes (AIGW_JWKS_MAX_BYTES)`);
      throw transportError(e);
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new IssuerFetchError('not-json', `${url} did not return JSON`);
    }
    const violation = jsonBoundsViolation(body, UNTRUSTED_JSON_BOUNDS);
    if (violation) throw new IssuerFetchError('not-json', `${url} returned JSON that ${violation}`);
    return { body, response };
  }
}

const NOT_MODIFIED = Symbol('304 Not Modified');

function isHttpUrl(value: string): boolean {
  try {
    return /^https?:$/.test(new URL(value).protocol);
  } catch {
    return false;
  }
}

function messageOf(e: unknown): string {
  const cause = (e as { cause?: { code?: unknown } })?.cause?.code;
  const message = e instanceof Error ? e.message : String(e);
  return typeof cause === 'string' ? `${message} (${cause})` : message;
}

/** A discovery value for an error message: short, and never a walk of a nested value. */
function shortJson(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value.slice(0, 200)) : `(${value === null ? 'null' : typeof value})`;
}
