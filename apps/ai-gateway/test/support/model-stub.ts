import type { FakeModelRequest, FakeModelResponse } from '#contracts';
import { PATH } from '#contracts';
import { listenOnLoopback, readBody, sendJson, type LoopbackServer } from '#common/testing/loopback';

/** The model name the stub answers with. */
export const STUB_MODEL = 'stub-code-model';

/** The completion text the stub gives a prompt: deterministic, and naming the prompt's length. */
export const stubCompletion = (prompt: string) => `):\n    # stub completion of ${prompt.length} characters\n`;

/**
 * The model behind the gateway in the gateway's own tests (apps never start one another; the
 * real fake model meets the real gateway in the conformance run): POST /v1/completions answers a
 * completion of contracts/schemas/fake-model-response.schema.json, records what it was sent, and
 * fails or hangs on request.
 */
export class ModelStub {
  /** Every completion request: its User-Agent and body. */
  readonly requests: Array<{ userAgent: string | undefined; body: FakeModelRequest }> = [];
  /** The next `failNext` completions answer `failStatus` instead. */
  failNext = 0;
  failStatus = 500;
  /** The next `hangNext` completions are never answered (close() ends them). */
  hangNext = 0;
  private server: LoopbackServer | undefined;

  get url(): string {
    return this.server!.url;
  }

  static async start(): Promise<ModelStub> {
    const stub = new ModelStub();
    stub.server = await listenOnLoopback((req, res) => {
      void readBody(req).then((text) => {
        if (req.method !== 'POST' || req.url !== PATH.MODEL_COMPLETIONS) return sendJson(res, 404, { error: 'Not Found' });
        const body = JSON.parse(text) as FakeModelRequest;
        stub.requests.push({ userAgent: req.headers['user-agent'], body });
        if (stub.hangNext > 0) return void stub.hangNext--;
        if (stub.failNext > 0) {
          stub.failNext--;
          return sendJson(res, stub.failStatus, { error: 'injected fault' });
        }
        const answer: FakeModelResponse = {
          id: `cmpl-stub-${stub.requests.length}`,
          model: STUB_MODEL,
          created: 1_700_000_000,
          choices: [{ text: stubCompletion(body.prompt), index: 0, finish_reason: 'stop' }],
        };
        sendJson(res, 200, answer);
      });
    });
    return stub;
  }

  close(): Promise<void> {
    return this.server!.close();
  }
}
