/**
 * The model behind a gateway double: the harness's fake model (POST <model>/v1/completions,
 * contracts/openapi/fake-model.yaml). A double that authenticated a completions request asks the
 * model, as the gateway does in step 10 of contracts/diagrams/custom-endpoint-jwt.mmd, and turns
 * its answer into the gateway's completions response. Written apart from apps/ai-gateway; only
 * contract constants, types and schemas come from contracts/src. Test-only.
 */
import {
  PATH,
  SCHEMA,
  describeViolations,
  validateAgainst,
  type CompletionsRequest,
  type CompletionsResponse,
  type FakeModelRequest,
  type FakeModelResponse,
} from '#contracts';
import { outboundTraceHeaders } from './trace-context.js';

/** The whole model call, answer included; past it the keystroke gets a 502. */
const MODEL_TIMEOUT_MS = 10_000;
/** `model.engine` of the doubles' completions: the model they call. */
const ENGINE = 'fake-model';

/** A completions answer: 200 with the completion, or 502 `{"detail": reason}` when the model failed. */
export type ModelOutcome = { status: 200; body: CompletionsResponse } | { status: 502; body: { detail: string } };

/** The model request of a completions request (contracts/schemas/fake-model-request.schema.json). */
function modelRequestOf(request: CompletionsRequest): FakeModelRequest {
  const file = request.current_file;
  return {
    prompt: file.content_above_cursor,
    ...(file.content_below_cursor !== undefined ? { suffix: file.content_below_cursor } : {}),
    ...(file.language_identifier !== undefined ? { language: file.language_identifier } : {}),
    ...(request.model_name !== undefined ? { model: request.model_name } : {}),
  };
}

/** Asks the model; throws an Error saying what failed (never the model's body). */
async function askModel(modelUrl: string, request: FakeModelRequest): Promise<FakeModelResponse> {
  const url = `${modelUrl.replace(/\/+$/, '')}${PATH.MODEL_COMPLETIONS}`;
  const signal = AbortSignal.timeout(MODEL_TIMEOUT_MS);
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', ...outboundTraceHeaders() },
      body: JSON.stringify(request),
      redirect: 'manual',
      signal,
    });
  } catch {
    throw new Error(signal.aborted ? `the model did not answer within ${MODEL_TIMEOUT_MS} ms` : 'the model is unreachable');
  }
  if (res.status !== 200) {
    await res.body?.cancel().catch(() => undefined);
    throw new Error(`the model answered HTTP ${res.status}`);
  }
  const body: unknown = await res.json().catch(() => undefined);
  const valid = validateAgainst(SCHEMA.FAKE_MODEL_RESPONSE, body);
  if (!valid.valid) throw new Error(`the model's answer breaks its contract: ${describeViolations(valid)}`);
  return body as FakeModelResponse;
}

/**
 * The completion of a valid completions request, from the model at `modelUrl`: 200 with a body
 * valid against contracts/schemas/completions-response.schema.json, or 502 `{"detail": reason}`
 * when the model is unreachable, slow, answers non-200 or off-contract. Never throws.
 */
export async function completeWithModel(modelUrl: string, request: CompletionsRequest): Promise<ModelOutcome> {
  try {
    const answer = await askModel(modelUrl, modelRequestOf(request));
    return {
      status: 200,
      body: {
        id: answer.id,
        model: { engine: ENGINE, name: answer.model, lang: request.current_file.language_identifier ?? null },
        object: 'text_completion',
        created: answer.created,
        choices: answer.choices.map(({ text, index, finish_reason }) => ({ text, index, finish_reason })),
      },
    };
  } catch (error) {
    return { status: 502, body: { detail: `Model call failed: ${(error as Error).message}` } };
  }
}
