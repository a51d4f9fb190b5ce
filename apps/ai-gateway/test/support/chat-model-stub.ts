import type { ServerResponse } from 'node:http';
import { PATH, type FakeModelChatEvent, type FakeModelChatRequest } from '#contracts';
import { listenOnLoopback, readBody, sendJson, type LoopbackServer } from '#common/testing/loopback';

/** The model name the stub's `done` event reports. */
export const STUB_CHAT_MODEL = 'stub-chat-model';

/** The chunks the stub streams for a chat: three, naming the last message's length. */
export const stubChatChunks = (request: FakeModelChatRequest) => ['Stub answer', ` to ${request.messages.at(-1)!.content.length}`, ' characters.'];

/** How the stub answers its next chat calls (each consumed by one call). */
export type ChatStubFault =
  /** {"error":"injected fault"} with this status instead of a stream. */
  | { kind: 'fail'; status: number }
  /** Never answers: only the caller giving up (or close()) ends the call. */
  | { kind: 'hang' }
  /** The first chunk, then nothing until `release()` is called: shows chunks pass as they come. */
  | { kind: 'gate' }
  /** The first chunk, then the connection is cut (no `done`) on `release()`. */
  | { kind: 'cut' }
  /** A line that is not an event of the contract. */
  | { kind: 'garbage' };

/**
 * The model's chat endpoint in the gateway's own tests (apps never start one another): POST
 * /v1/chat/completions streams NDJSON events of contracts/schemas/fake-model-chat-event, records
 * what it was sent and whether the caller hung up before the answer ended.
 */
export class ChatModelStub {
  readonly requests: Array<{ userAgent: string | undefined; body: FakeModelChatRequest }> = [];
  /** Calls whose connection closed before their answer was complete (the gateway aborted them). */
  aborted = 0;
  readonly faults: ChatStubFault[] = [];
  private gates: Array<() => void> = [];
  private server: LoopbackServer | undefined;

  get url(): string {
    return this.server!.url;
  }

  static async start(): Promise<ChatModelStub> {
    const stub = new ChatModelStub();
    stub.server = await listenOnLoopback((req, res) => {
      void readBody(req).then((text) => {
        if (req.method !== 'POST' || req.url !== PATH.MODEL_CHAT_COMPLETIONS) return sendJson(res, 404, { error: 'Not Found' });
        const body = JSON.parse(text) as FakeModelChatRequest;
        stub.requests.push({ userAgent: req.headers['user-agent'], body });
        res.once('close', () => {
          if (!res.writableFinished) stub.aborted++;
        });
        stub.answer(body, stub.faults.shift(), res);
      });
    });
    return stub;
  }

  /** Lets every gated answer finish. */
  release(): void {
    for (const open of this.gates.splice(0)) open();
  }

  /** Resolves once `count` calls were aborted by their caller. */
  async abortedReaches(count: number): Promise<void> {
    for (let i = 0; i < 500 && this.aborted < count; i++) await new Promise((r) => setTimeout(r, 10));
    if (this.aborted < count) throw new Error(`${this.aborted} aborted calls, expected ${count}`);
  }

  private answer(body: FakeModelChatRequest, fault: ChatStubFault | undefined, res: ServerResponse): void {
    if (fault?.kind === 'fail') return sendJson(res, fault.status, { error: 'injected fault' });
    if (fault?.kind === 'hang') return;
    res.writeHead(200, { 'content-type': 'application/x-ndjson; charset=utf-8' });
    const [first, ...rest] = stubChatChunks(body);
    const delta = (text: string) => line({ type: 'final_answer_delta', data: { text } });
    if (fault?.kind === 'garbage') return void res.end('{"type":"final_answer_delta","data":{}}\n');
    res.write(delta(first!));
    if (fault?.kind === 'cut') return void this.gates.push(() => res.destroy());
    const finish = () => res.end(rest.map(delta).join('') + line({ type: 'done', data: { model: STUB_CHAT_MODEL, finish_reason: 'stop' } }));
    if (fault?.kind === 'gate') this.gates.push(finish);
    else finish();
  }

  close(): Promise<void> {
    this.release();
    return this.server!.close();
  }
}

const line = (event: FakeModelChatEvent) => `${JSON.stringify(event)}\n`;
