/**
 * The IDE side of seed 001's loop, as VS Code's GitLab extension behaves: it keeps the
 * personal access token it was configured with, asks GitLab for a JWT when it has none or the
 * one it has is about to expire, and otherwise calls the AI gateway with the JWT it holds. A
 * 401 from the gateway means the JWT is invalid: it asks for a new one and retries once.
 *
 * It talks HTTP to whatever GitLab (self-managed or SaaS) and gateway it is given, so the same
 * client drives the emulators and a team's own implementations.
 */
import { HEADER, PATH, type AiAccessTokenClaims, type CodeSuggestionsTokenResponse, type CompletionsRequest } from '#contracts';
import { decodeJwt } from '../checks/jwt.js';
import type { HttpClient, HttpResponse } from '../runner/types.js';
import { completionRequest, gatewayHeaders } from './code-suggestions.js';

export interface HeldToken {
  token: string;
  claims: AiAccessTokenClaims;
  /** Epoch seconds after which the IDE treats the token as expired (created_at + expires_in). */
  expiresAt: number;
  /** The response that delivered it. */
  response: HttpResponse;
}

/** GitLab did not give a token; the response says why. */
export class TokenRequestRefused extends Error {
  constructor(readonly response: HttpResponse) {
    super(`${response.request} answered ${response.status} instead of a token`);
    this.name = 'TokenRequestRefused';
  }
}

export interface IdeClientOptions {
  gitlab: HttpClient;
  gateway: HttpClient;
  /** The personal access token the user configured (seed 001 steps 6-7). */
  personalAccessToken: string;
  /** Milliseconds since the epoch; scenarios move it forward to let a token age. */
  now?: () => number;
  /** Ask for a new JWT this long before the held one expires. */
  refreshMarginSeconds?: number;
}

export interface Keystroke {
  response: HttpResponse;
  /** The gateway refused the held JWT (401), so a new one was fetched and the request retried. */
  retriedAfter401: boolean;
}

export class IdeClient {
  /** How many times the client asked GitLab for a JWT. */
  tokenRequests = 0;
  private held: HeldToken | undefined;
  private readonly now: () => number;
  private readonly marginSeconds: number;

  constructor(private readonly options: IdeClientOptions) {
    this.now = options.now ?? Date.now;
    this.marginSeconds = options.refreshMarginSeconds ?? 60;
  }

  get token(): HeldToken | undefined {
    return this.held;
  }

  /** The held JWT when it is still good for longer than the margin, else a new one (loop, "alt"). */
  async ensureToken(): Promise<HeldToken> {
    if (this.held && this.held.expiresAt - this.now() / 1000 > this.marginSeconds) return this.held;
    return this.fetchToken();
  }

  /** One keystroke (loop, "else"): the gateway with the JWT; on 401 one new JWT and one retry. */
  async keystroke(body: CompletionsRequest = completionRequest(), label = 'keystroke'): Promise<Keystroke> {
    const held = await this.ensureToken();
    const response = await this.callGateway(held, body, label);
    if (response.status !== 401) return { response, retriedAfter401: false };
    this.held = undefined;
    const fresh = await this.fetchToken();
    return { response: await this.callGateway(fresh, body, `${label} (retry with a new JWT)`), retriedAfter401: true };
  }

  /** Forgets the held JWT (an IDE restart). */
  forget(): void {
    this.held = undefined;
  }

  private async fetchToken(): Promise<HeldToken> {
    this.tokenRequests++;
    const response = await this.options.gitlab.request({
      method: 'POST',
      path: PATH.GITLAB_CODE_SUGGESTIONS_TOKENS,
      headers: { [HEADER.AUTHORIZATION]: `Bearer ${this.options.personalAccessToken}`, 'Content-Type': 'application/json' },
      label: 'IDE: POST code_suggestions/tokens (PAT)',
    });
    if (response.status !== 200 && response.status !== 201) throw new TokenRequestRefused(response);
    const body = response.json as CodeSuggestionsTokenResponse | undefined;
    if (!body || typeof body.access_token !== 'string') throw new TokenRequestRefused(response);
    const claims = decodeJwt(body.access_token, 'the token GitLab returned').claims;
    const expiresAt = typeof body.expires_in === 'number' && typeof body.created_at === 'number' ? body.created_at + body.expires_in : claims.exp;
    this.held = { token: body.access_token, claims, expiresAt, response };
    return this.held;
  }

  private callGateway(held: HeldToken, body: CompletionsRequest, label: string): Promise<HttpResponse> {
    return this.options.gateway.request({
      method: 'POST',
      path: PATH.GATEWAY_COMPLETIONS,
      headers: gatewayHeaders(held.token, held.claims),
      json: body,
      label,
    });
  }
}
