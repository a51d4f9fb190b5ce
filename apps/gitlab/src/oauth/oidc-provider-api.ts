/**
 * The part of oidc-provider 9's API this module uses, typed here (the package ships no types
 * and @types/oidc-provider is not a dependency), and the one place the package is loaded.
 *
 * Loaded lazily, on first use of the authorization server: oidc-provider prints notices with
 * console.warn/console.info (on Node 20 "Unsupported runtime" when imported), which would put
 * non-JSON lines into the app's structured log and into --help's stderr. Loading happens with
 * those two routed into the app's logger instead.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '#common';
import type { ProviderAdapter } from './oauth-store.js';

/** Koa's context as oidc-provider extends it (the members this module reads or writes). */
export interface OidcContext {
  method: string;
  path: string;
  query: Record<string, unknown>;
  status: number;
  body: unknown;
  type: string;
  req: IncomingMessage;
  get(header: string): string;
  set(header: string, value: string): void;
  /** Whether the request's Content-Type is `type` (Koa's request.is). */
  is(type: string): string | false | null;
  oidc: {
    route?: string;
    provider: OidcProvider;
    client?: OidcClient;
    session?: OidcSession;
    params?: Record<string, unknown>;
    result?: InteractionResult;
    requestParamScopes: Set<string>;
    requestParamOIDCScopes: Set<string>;
    entities: Record<string, unknown>;
  };
}

export type KoaMiddleware = (ctx: OidcContext, next: () => Promise<void>) => Promise<void>;

export interface OidcSession {
  accountId?: string;
  touched?: boolean;
  authorizations?: Record<string, unknown>;
  grantIdFor(clientId: string): string | undefined;
  loginAccount(details: { accountId: string; loginTs?: number }): void;
}

/** A client as oidc-provider resolves it; GitLab's own members are kept as extra metadata. */
export interface OidcClient {
  clientId: string;
  clientName?: string;
  clientSecret?: string;
  clientAuthMethod: string;
  redirectUris?: string[];
  scope?: string;
  metadata(): Record<string, unknown>;
  grantTypeAllowed(type: string): boolean;
  [extra: string]: unknown;
}

export interface OidcGrant {
  jti: string;
  accountId: string;
  clientId: string;
  getOIDCScope(): string;
  getOIDCClaims(): string[];
  addOIDCScope(scope: string): void;
  addOIDCClaims(claims: string[]): void;
  save(): Promise<string>;
}

export interface OidcAccessToken {
  jti: string;
  kind: 'AccessToken';
  accountId: string;
  clientId: string;
  grantId?: string;
  scope?: string;
  scopes: Set<string>;
  iat: number;
  exp: number;
}

export interface InteractionResult {
  login?: { accountId: string; ts?: number; remember?: boolean };
  consent?: { grantId?: string };
  error?: string;
  error_description?: string;
}

export interface InteractionDetails {
  uid: string;
  returnTo: string;
  prompt: { name: string; reasons: string[]; details: Record<string, unknown> };
  params: Record<string, unknown>;
  session?: { accountId?: string; uid?: string; cookie?: string };
  grantId?: string;
}

export interface OidcProvider {
  readonly issuer: string;
  proxy: boolean;
  use(middleware: KoaMiddleware): void;
  on(event: string, listener: (...args: unknown[]) => void): void;
  callback(): (req: IncomingMessage, res: ServerResponse) => void;
  interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<InteractionDetails>;
  interactionResult(req: IncomingMessage, res: ServerResponse, result: InteractionResult, options?: { mergeWithLastSubmission?: boolean }): Promise<string>;
  readonly Client: { find(id: string): Promise<OidcClient | undefined>; validate(metadata: Record<string, unknown>): Promise<void> };
  readonly Grant: { new (init: { accountId: string; clientId: string }): OidcGrant; find(id: string): Promise<OidcGrant | undefined> };
  readonly AccessToken: { find(value: string): Promise<OidcAccessToken | undefined> };
}

/** An interaction policy check (interactionPolicy.Check). */
export type PolicyCheck = object;

export interface InteractionPolicy {
  get(name: string): { checks: { add(check: PolicyCheck, index?: number): void } } | undefined;
}

/** oidc-provider's error classes this module throws or recognises. */
export interface OidcErrors {
  OIDCProviderError: new (status: number, message: string) => Error;
  InvalidScope: new (description: string, scope: string) => Error;
  InvalidClientMetadata: new (description: string) => Error;
  InvalidRequest: new (description: string) => Error;
  SessionNotFound: new (description: string) => Error;
}

export interface OidcProviderModule {
  Provider: new (issuer: string, configuration: Record<string, unknown>) => OidcProvider;
  errors: OidcErrors;
  interactionPolicy: {
    base(): InteractionPolicy;
    Check: {
      new (reason: string, description: string, check: (ctx: OidcContext) => boolean | Promise<boolean>): PolicyCheck;
      readonly REQUEST_PROMPT: true;
      readonly NO_NEED_TO_PROMPT: false;
    };
  };
}

/** oidc-provider's adapter option: a factory of one adapter per model name. */
export type AdapterFactory = (model: string) => ProviderAdapter;

// A non-literal specifier: the package has no type declarations, and the module is typed above.
const PACKAGE = 'oidc-provider';
let loading: Promise<OidcProviderModule> | undefined;

/** Imports oidc-provider once, its console notices logged as `warn` lines of `logger`. */
export function loadOidcProvider(logger: Logger): Promise<OidcProviderModule> {
  loading ??= (async () => {
    const { warn, info } = console;
    const toLog = (...args: unknown[]) => logger.warn({ component: 'oidc-provider' }, args.map(String).join(' '));
    console.warn = toLog;
    console.info = toLog;
    try {
      return (await import(PACKAGE)) as OidcProviderModule;
    } finally {
      console.warn = warn;
      console.info = info;
    }
  })();
  return loading;
}
