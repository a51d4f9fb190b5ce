import {
  compileValidator,
  PATH,
  SCHEMA,
  USER_AGENT,
  CHAT_STREAM_MEDIA_TYPE,
  type FakeModelChatEvent,
  type FakeModelChatRequest,
} from '#contracts';
import { outboundTraceHeaders } from '#common';
import type { FetchFn } from '../di.js';
import { ModelError } from '../completions/model-client.js';

const HEADERS = { 'content-type': 'application/json', accept: CHAT_STREAM_MEDIA_TYPE.MODEL, 'user-agent': USER_AGENT.GATEWAY } as const;

export interface ChatModelClientOptions {
  /** Base URL of the model (AIGW_MODEL_URL); requests go to <url>/v1/chat/completions. */
  baseUrl: string;
  /** The whole call, stream included (AIGW_MODEL_TIMEOUT_MS) -> `timeout`. */
  timeoutMs: number;
  /** Most bytes read of one stream (AIGW_MODEL_MAX_RESPONSE_BYTES); past it the stream is a `bad-response`. */
  maxResponseBytes: number;
  fetch: FetchFn;
}

/** An answer being streamed: its text chunks as the model sends them, then the model's name. */
export interface ChatAnswerStream {
  /** The text of each delta, in order; throws a ModelError if the stream breaks, overflows or ends without `done`. */
  chunks: AsyncIterable<string>;
  /** The model's name from its `done` event; read after `chunks` has ended. */
  readonly model: string | undefined;
}

/**
 * The model's chat endpoint (the fake model's POST /v1/chat/completions, NDJSON events of
 * contracts/schemas/fake-model-chat-event.schema.json). `open` resolves once the model has
 * answered 200, so a refusal, an unreachable model or a timeout before the stream starts is a
 * ModelError the gateway can still answer with 502/504; the chunks are then read one line at a
 * time, never more than the byte cap, each event validated. The deadline and the caller's
 * `cancelled` signal (the IDE or GitLab went away) abort the model call at any point.
 */
export class ChatModelClient {
  private readonly url: string;
  private readonly validEvent = compileValidator(SCHEMA.FAKE_MODEL_CHAT_EVENT);

  constructor(private readonly options: ChatModelClientOptions) {
    this.url = `${options.baseUrl.replace(/\/+$/, '')}${PATH.MODEL_CHAT_COMPLETIONS}`;
  }

  async open(request: FakeModelChatRequest, cancelled?: AbortSignal): Promise<ChatAnswerStream> {
    const timeout = AbortSignal.timeout(this.options.timeoutMs);
    const signal = cancelled ? AbortSignal.any([timeout, cancelled]) : timeout;
    const failure = (e: unknown): ModelError => {
      if (e instanceof ModelError) return e;
      if (timeout.aborted) return new ModelError('timeout', `Model did not answer within ${this.options.timeoutMs} ms`);
      if (cancelled?.aborted) return new ModelError('cancelled', 'Client went away');
      return new ModelError('unreachable', 'Model unreachable');
    };
    let response: Response;
    try {
      response = await this.options.fetch(this.url, {
        method: 'POST',
        headers: { ...HEADERS, ...outboundTraceHeaders('ai-gateway') },
        body: JSON.stringify(request),
        signal,
      });
    } catch (e) {
      throw failure(e);
    }
    if (response.status !== 200 || !response.body) {
      await response.body?.cancel().catch(() => undefined);
      throw new ModelError('bad-status', `Model answered HTTP ${response.status}`);
    }
    const state: { model: string | undefined } = { model: undefined };
    const chunks = this.deltas(response.body, state, failure);
    return {
      chunks,
      get model() {
        return state.model;
      },
    };
  }

  /** The deltas' text, line by line; the reader is released however the consumer stops. */
  private async *deltas(
    body: ReadableStream<Uint8Array>,
    state: { model: string | undefined },
    failure: (e: unknown) => ModelError,
  ): AsyncGenerator<string> {
    const reader = body.getReader();
    const decoder = new TextDecoder();
    let buffered = '';
    let size = 0;
    try {
      for (;;) {
        let read: Awaited<ReturnType<typeof reader.read>>;
        try {
          read = await reader.read();
        } catch (e) {
          throw failure(e);
        }
        if (read.done) break;
        size += read.value.byteLength;
        if (size > this.options.maxResponseBytes) throw new ModelError('bad-response', `Model answer exceeds ${this.options.maxResponseBytes} bytes`);
        buffered += decoder.decode(read.value, { stream: true });
        let newline: number;
        while ((newline = buffered.indexOf('\n')) >= 0) {
          const event = this.parse(buffered.slice(0, newline));
          buffered = buffered.slice(newline + 1);
          if (event.type === 'done') {
            state.model = event.data.model;
            return;
          }
          yield event.data.text;
        }
      }
      throw new ModelError('bad-response', 'Model stream ended before its done event');
    } finally {
      await reader.cancel().catch(() => undefined);
    }
  }

  private parse(line: string): FakeModelChatEvent {
    let event: unknown;
    try {
      event = JSON.parse(line);
    } catch {
      throw new ModelError('bad-response', 'Model streamed a line that is not JSON');
    }
    if (!this.validEvent(event).valid) throw new ModelError('bad-response', 'Model streamed an event off its contract');
    return event as FakeModelChatEvent;
  }
}
