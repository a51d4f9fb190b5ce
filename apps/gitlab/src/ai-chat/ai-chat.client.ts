import { Inject, Injectable } from '@nestjs/common';
import {
  AUTHENTICATION_TYPE_OIDC,
  boundHeaderValues,
  CHAT_PROMPT_COMPONENT,
  DUO_CHAT_TOKEN_SCOPES,
  HEADER,
  PATH,
  USER_AGENT,
  type ChatRequest,
} from '#contracts';
import { APP_CONFIG, APP_LOGGER, type Logger, outboundTraceHeaders } from '#common';
import { AccessTokenFactory } from '../ai-access/access-token.factory.js';
import { AiChat } from '../graphql/ai-chat.port.js';
import type { GitlabUser } from '../identity/identity.service.js';
import { InstanceInfo } from '../instance/instance-info.js';
import type { WebIdeConfig } from '../web-ide/web-ide-settings.js';

/** What the chat asks: whose question, its text, and the request id its answer is published under. */
export interface AiChatRequest {
  user: GitlabUser;
  content: string;
  requestId: string;
}

/**
 * Why a chat answer could not be had, in words fit for the user (never a token, never the
 * gateway's body): the gateway not configured, unreachable, too slow, refusing (its status), or
 * its answer cut off or too long.
 */
export class AiChatError extends Error {
  constructor(
    message: string,
    /** The gateway's HTTP status when it answered with an error. */
    readonly status?: number,
  ) {
    super(message);
    this.name = 'AiChatError';
  }
}

/**
 * GitLab's HTTP client timeout for AI gateway calls: Gitlab::Llm::AiGateway::Client
 * DEFAULT_TIMEOUT = 30.seconds (ee/lib/gitlab/llm/ai_gateway/client.rb).
 */
export const AI_CHAT_TIMEOUT_MS = 30_000;
/** Largest answer read, bytes; a longer one is refused (an emulator's bound, not GitLab's). */
export const AI_CHAT_MAX_ANSWER_BYTES = 1024 * 1024;
/** The version GitLab reports in the prompt component's metadata (Gitlab.version_info). */
export const EMULATED_GITLAB_VERSION = '17.5.0-ee';

/**
 * Duo Chat's call to the AI gateway, as GitLab makes it (Gitlab::Llm::AiGateway::Client,
 * ee/lib/gitlab/llm/ai_gateway/client.rb, ashierj/superdemo @04c4cec1): POST
 * `<AI_GATEWAY_URL>/v1/chat/agent` with `X-Gitlab-Authentication-Type: oidc`, `Authorization:
 * Bearer <instance token>`, `X-Gitlab-Host-Name`, `X-Request-ID` and the Cloud Connector headers
 * (ee/lib/api/helpers/cloud_connector.rb: X-Gitlab-Instance-Id, X-Gitlab-Realm,
 * X-Gitlab-Global-User-Id), body `{prompt_components: [{type: "prompt", metadata: {source:
 * "GitLab EE", version}, payload: {content, provider, model}}], stream: true}`; the answer is the
 * text itself, streamed in chunks.
 *
 * The token is minted by this instance for the call (AccessTokenFactory.mintServiceToken, the
 * duo_chat bundle's unit primitives), on SaaS as GitLab.com does (a short-lived self-issued
 * token per request, architecture.md L138-140). A real self-managed instance sends instead the
 * Cloud Connector token CustomersDot issued and syncs daily (CloudConnector::AccessService
 * `self_managed_token`, ::CloudConnector::ServiceAccessToken); the emulator has no CustomersDot,
 * so a self-managed instance signs its own, which a gateway accepts when it trusts the instance
 * as an issuer (the embedded stack's gateway trusts both GitLab roles).
 */
@Injectable()
export class AiChatClient implements AiChat {
  constructor(
    @Inject(APP_CONFIG) private readonly config: Pick<WebIdeConfig, 'aiGatewayUrl'>,
    @Inject(AccessTokenFactory) private readonly tokens: AccessTokenFactory,
    @Inject(InstanceInfo) private readonly instance: InstanceInfo,
    @Inject(APP_LOGGER) private readonly logger: Logger,
  ) {}

  /**
   * The answer's text chunks as the gateway streams them. `signal` (the subscriber gone, the
   * request cancelled) aborts the gateway call, and the iteration ends quietly. Throws
   * AiChatError on any failure, before or during the stream.
   */
  async *stream(request: AiChatRequest, signal?: AbortSignal): AsyncIterable<string> {
    const base = this.config.aiGatewayUrl;
    if (!base) throw new AiChatError('Duo Chat is not available: no AI gateway is configured (AI_GATEWAY_URL)');
    const timeout = AbortSignal.timeout(AI_CHAT_TIMEOUT_MS);
    const abort = signal ? AbortSignal.any([timeout, signal]) : timeout;
    const failure = (e: unknown, whileStreaming: boolean): AiChatError | undefined => {
      if (e instanceof AiChatError) return e;
      if (signal?.aborted) return undefined;
      if (timeout.aborted) return new AiChatError(`The AI gateway did not answer within ${AI_CHAT_TIMEOUT_MS / 1000} s`);
      return new AiChatError(whileStreaming ? "The AI gateway's answer was cut off" : 'The AI gateway could not be reached');
    };

    let response: Response;
    try {
      response = await fetch(`${base.replace(/\/+$/, '')}${PATH.GATEWAY_CHAT_AGENT}`, {
        method: 'POST',
        headers: this.headers(request),
        body: JSON.stringify(this.body(request.content)),
        signal: abort,
      });
    } catch (e) {
      const error = failure(e, false);
      if (error === undefined) return;
      this.log(request, error);
      throw error;
    }
    if (response.status !== 200 || !response.body) {
      await response.body?.cancel().catch(() => undefined);
      const error = new AiChatError(`The AI gateway refused the chat request (HTTP ${response.status})`, response.status);
      this.log(request, error);
      throw error;
    }

    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let size = 0;
    try {
      for (;;) {
        let read: Awaited<ReturnType<typeof reader.read>>;
        try {
          read = await reader.read();
        } catch (e) {
          const error = failure(e, true);
          if (error === undefined) return;
          this.log(request, error);
          throw error;
        }
        if (read.done) break;
        size += read.value.byteLength;
        if (size > AI_CHAT_MAX_ANSWER_BYTES) throw new AiChatError(`The AI gateway's answer exceeds ${AI_CHAT_MAX_ANSWER_BYTES} bytes`);
        const text = decoder.decode(read.value, { stream: true });
        if (text !== '') yield text;
      }
      const rest = decoder.decode();
      if (rest !== '') yield rest;
    } finally {
      await reader.cancel().catch(() => undefined);
    }
  }

  /** GitLab's headers for the call (client.rb request_headers + cloud_connector_headers), with a token minted now. */
  private headers(request: AiChatRequest): Record<string, string> {
    const { token, claims } = this.tokens.mintServiceToken(DUO_CHAT_TOKEN_SCOPES);
    return {
      [HEADER.HOST_NAME]: new URL(this.instance.url).hostname,
      [HEADER.AUTHENTICATION_TYPE]: AUTHENTICATION_TYPE_OIDC,
      [HEADER.AUTHORIZATION]: `Bearer ${token}`,
      'content-type': 'application/json',
      accept: 'text/event-stream',
      'user-agent': `${USER_AGENT.HARNESS}-gitlab`,
      [HEADER.REQUEST_ID]: request.requestId,
      // X-Gitlab-Realm and X-Gitlab-Instance-Id, the values the gateway binds to the token's claims.
      ...boundHeaderValues(claims),
      [HEADER.INSTANCE_ID]: this.instance.instanceId,
      [HEADER.GLOBAL_USER_ID]: request.user.globalId,
      ...outboundTraceHeaders(this.instance.mode === 'saas' ? 'gitlab-saas' : 'gitlab-sm'),
    };
  }

  /** Gitlab::Llm::AiGateway::Client#request_body with stream: true. */
  private body(content: string): ChatRequest {
    return {
      prompt_components: [
        {
          type: CHAT_PROMPT_COMPONENT.TYPE,
          metadata: { source: CHAT_PROMPT_COMPONENT.SOURCE, version: EMULATED_GITLAB_VERSION },
          payload: { content, provider: 'anthropic', model: 'claude-3-5-sonnet-20240620' },
        },
      ],
      stream: true,
    };
  }

  /** The failure for the log: the request id and what went wrong, never the token or the question. */
  private log(request: AiChatRequest, error: AiChatError): void {
    this.logger.warn({ aiChat: { requestId: request.requestId, status: error.status, error: error.message } }, 'Duo Chat gateway call failed');
  }
}
