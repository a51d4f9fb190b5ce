import {
  compileValidator,
  PATH,
  SCHEMA,
  USER_AGENT,
  type FakeModelRequest,
  type FakeModelResponse,
} from '../../../../contracts/src/index.js';
import type { FetchFn } from '../tokens.js';

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

const HEADERS = { 'content-type': 'application/json', accept: 'application/json', 'user-agent': USER_AGENT.GATEWAY } as const;

/** The model behind the gateway (the fake model's POST /v1/completions), with a hard timeout. */
export class ModelClient {
  private readonly url: string;
  private readonly validResponse = compileValidator(SCHEMA.FAKE_MODEL_RESPONSE);

  constructor(
    baseUrl: string,
    private readonly timeoutMs: number,
    private readonly fetch: FetchFn,
  ) {
    this.url = `${baseUrl.replace(/\/+$/, '')}${PATH.MODEL_COMPLETIONS}`;
  }

  /** `cancelled` aborts the call when the IDE gives up first (it does on every new keystroke). */
  async complete(request: FakeModelRequest, cancelled?: AbortSignal): Promise<FakeModelResponse> {
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const signal = cancelled ? AbortSignal.any([timeout, cancelled]) : timeout;
    const fail = (e: unknown): never => {
      if (e instanceof ModelError) throw e;
      if (timeout.aborted) throw new ModelError('timeout', `Model did not answer within ${this.timeoutMs} ms`);
      if (cancelled?.aborted) throw new ModelError('cancelled', 'Client went away');
      throw new ModelError('unreachable', 'Model unreachable');
    };
    try {
      const response = await this.fetch(this.url, { method: 'POST', headers: HEADERS, body: JSON.stringify(request), signal });
      if (response.status !== 200) {
        await response.body?.cancel().catch(() => undefined);
        throw new ModelError('bad-status', `Model answered HTTP ${response.status}`);
      }
      let body: unknown;
      try {
        body = await response.json();
      } catch (e) {
        if (signal.aborted) fail(e);
        throw new ModelError('bad-response', 'Model answered with invalid JSON');
      }
      if (!this.validResponse(body).valid) throw new ModelError('bad-response', 'Model answer does not match its contract');
      return body as FakeModelResponse;
    } catch (e) {
      return fail(e);
    }
  }
}
