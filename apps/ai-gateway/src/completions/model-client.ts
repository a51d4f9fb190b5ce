import {
  compileValidator,
  PATH,
  SCHEMA,
  USER_AGENT,
  type FakeModelRequest,
  type FakeModelResponse,
} from '#contracts';
import { BodyTooLargeError, outboundTraceHeaders, readBoundedText } from '#common';
import type { FetchFn } from '../di.js';

/**
 * What ends a model call early besides its timeout: the IDE leaving. An AbortSignal is one;
 * the completions controller passes ideLeaving(), the same two members over the response's
 * 'close', since an AbortController per keystroke costs a transferable object.
 */
export interface Cancellation {
  readonly aborted: boolean;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

/**
 * A Cancellation that fires when the IDE's response closes before it was finished (the IDE
 * gave up, as it does on every new keystroke); a close after the answer was sent cancels nothing.
 */
export function ideLeaving(response: { readonly writableFinished: boolean; once(event: 'close', listener: () => void): unknown }): Cancellation {
  let left = false;
  let listener: (() => void) | undefined;
  response.once('close', () => {
    if (response.writableFinished) return;
    left = true;
    listener?.();
  });
  return {
    get aborted() {
      return left;
    },
    addEventListener: (_type, onLeave) => {
      listener = onLeave;
    },
    removeEventListener: () => {
      listener = undefined;
    },
  };
}

/** One answer of the model: its status, then its body read once (bounded) or dropped. */
export interface ModelReply {
  readonly status: number;
  /** The body as UTF-8, at most `limitBytes`; BodyTooLargeError past it (the rest unread). */
  text(limitBytes: number): Promise<string>;
  /** Drops the body unread. */
  discard(): void;
}

/**
 * How the ModelClient posts a request to the model: PooledFetch.post (undici's `request`, no
 * Fetch Response or web stream per keystroke) in the gateway, modelPostOverFetch in tests that
 * inject a fetch. Rejects on a transport failure or an abort of `signal`.
 */
export type ModelPost = (url: string, headers: Record<string, string>, body: string, signal: AbortSignal) => Promise<ModelReply>;

/** A ModelPost over a FetchFn (the tests' fakes, the Fetch API's shape). */
export function modelPostOverFetch(fetch: FetchFn): ModelPost {
  return async (url, headers, body, signal) => {
    const response = await fetch(url, { method: 'POST', headers, body, signal });
    return {
      status: response.status,
      text: (limitBytes) => readBoundedText(response, limitBytes),
      discard: () => void response.body?.cancel().catch(() => undefined),
    };
  };
}

export type ModelFailure = 'timeout' | 'unreachable' | 'bad-status' | 'bad-response' | 'cancelled';

export class ModelError extends Error {
  constructor(
    readonly failure: ModelFailure,
    message: string,
  ) {
    super(message);
    this.name = 'ModelError';
  }
}

/** The gateway's answer to each model failure: 504 for a timeout, 502 otherwise (499: the client left, nobody reads it). */
export const MODEL_FAILURE_STATUS: Readonly<Record<ModelFailure, number>> = {
  timeout: 504,
  unreachable: 502,
  'bad-status': 502,
  'bad-response': 502,
  cancelled: 499,
};

const HEADERS = { 'content-type': 'application/json', accept: 'application/json', 'user-agent': USER_AGENT.GATEWAY } as const;

export interface ModelClientOptions {
  /** Base URL of the model (AIGW_MODEL_URL); requests go to <url>/v1/completions. */
  baseUrl: string;
  /** Whole call, body included (AIGW_MODEL_TIMEOUT_MS) -> `timeout`. */
  timeoutMs: number;
  /** Largest answer read, bytes (AIGW_MODEL_MAX_RESPONSE_BYTES); a larger one is a `bad-response`, unread. */
  maxResponseBytes: number;
  post: ModelPost;
}

/**
 * The model behind the gateway (the fake model's POST /v1/completions): a hard timeout, a body
 * cap, and the answer validated against its contract. Every failure is a ModelError whose
 * message says what went wrong (never the model's body).
 */
export class ModelClient {
  private readonly url: string;
  private readonly validResponse = compileValidator(SCHEMA.FAKE_MODEL_RESPONSE);
  private readonly timeoutMs: number;
  private readonly maxResponseBytes: number;
  private readonly post: ModelPost;

  constructor(options: ModelClientOptions) {
    this.url = `${options.baseUrl.replace(/\/+$/, '')}${PATH.MODEL_COMPLETIONS}`;
    this.timeoutMs = options.timeoutMs;
    this.maxResponseBytes = options.maxResponseBytes;
    this.post = options.post;
  }

  /** `cancelled` aborts the call when the IDE gives up first (it does on every new keystroke). */
  async complete(request: FakeModelRequest, cancelled?: Cancellation): Promise<FakeModelResponse> {
    // One signal per call, aborted by the timer or by `cancelled`: AbortSignal.timeout and
    // AbortSignal.any cost two more signals (and a transferable each) on every keystroke.
    if (cancelled?.aborted) throw new ModelError('cancelled', 'Client went away');
    const call = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      call.abort();
    }, this.timeoutMs);
    const onCancel = () => call.abort();
    cancelled?.addEventListener('abort', onCancel, { once: true });
    const signal = call.signal;
    const fail = (e: unknown): never => {
      if (e instanceof ModelError) throw e;
      if (timedOut) throw new ModelError('timeout', `Model did not answer within ${this.timeoutMs} ms`);
      if (cancelled?.aborted) throw new ModelError('cancelled', 'Client went away');
      throw new ModelError('unreachable', 'Model unreachable');
    };
    try {
      const response = await this.post(this.url, { ...HEADERS, ...outboundTraceHeaders('ai-gateway') }, JSON.stringify(request), signal);
      if (response.status !== 200) {
        response.discard();
        throw new ModelError('bad-status', `Model answered HTTP ${response.status}`);
      }
      let text: string;
      try {
        text = await response.text(this.maxResponseBytes);
      } catch (e) {
        if (e instanceof BodyTooLargeError) throw new ModelError('bad-response', `Model answer exceeds ${e.limitBytes} bytes`);
        throw e;
      }
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        throw new ModelError('bad-response', 'Model answered with invalid JSON');
      }
      if (!this.validResponse(body).valid) throw new ModelError('bad-response', 'Model answer does not match its contract');
      return body as FakeModelResponse;
    } catch (e) {
      return fail(e);
    } finally {
      clearTimeout(timer);
      cancelled?.removeEventListener('abort', onCancel);
    }
  }
}
