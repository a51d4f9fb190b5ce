/**
 * Assertions for checks. Each throws CheckFailure carrying what was expected, what came
 * back and the exchange that showed it, so a report can say where without guessing.
 */
import { isDeepStrictEqual } from 'node:util';
import { compileValidator, describeViolations, redactText, type SchemaName } from '#contracts';
import { CheckFailure } from '../runner/signals.js';
import type { HttpResponse } from '../runner/types.js';

const MAX_SHOWN = 600;

/** A response body as shown in a failure: redacted, and cut to a readable length. */
export function shownBody(res: HttpResponse): unknown {
  if (res.json !== undefined) return res.json;
  const text = redactText(res.text, { keepJwtClaims: true });
  return text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN)}… (${text.length} chars)` : text;
}

export function fail(message: string, detail: { expected?: unknown; actual?: unknown; res?: HttpResponse } = {}): never {
  throw new CheckFailure({
    message,
    expected: detail.expected,
    actual: detail.actual,
    exchangeId: detail.res?.exchangeId,
  });
}

export function expectStatus(res: HttpResponse, expected: number | readonly number[]): void {
  const allowed = typeof expected === 'number' ? [expected] : expected;
  if (!allowed.includes(res.status)) {
    fail(`expected HTTP ${allowed.join(' or ')} from ${res.request}, got ${res.status}`, {
      expected: { status: allowed.length === 1 ? allowed[0] : allowed },
      actual: { status: res.status, body: shownBody(res) },
      res,
    });
  }
}

/** The body must equal `expected` exactly (JSON deep equality). */
export function expectJsonBody(res: HttpResponse, expected: unknown): void {
  if (res.json === undefined) {
    fail(`expected a JSON body from ${res.request}, got ${res.headers['content-type'] ?? 'no content type'}`, {
      expected: { body: expected },
      actual: { status: res.status, body: shownBody(res) },
      res,
    });
  }
  if (!isDeepStrictEqual(res.json, expected)) {
    fail(`unexpected body from ${res.request}`, { expected: { body: expected }, actual: { status: res.status, body: res.json }, res });
  }
}

/** Status and exact JSON body together: the usual shape of an error contract. */
export function expectError(res: HttpResponse, status: number, body: unknown): void {
  if (res.status !== status || !isDeepStrictEqual(res.json, body)) {
    fail(`expected HTTP ${status} ${JSON.stringify(body)} from ${res.request}, got ${res.status}`, {
      expected: { status, body },
      actual: { status: res.status, body: shownBody(res) },
      res,
    });
  }
}

const validators = new Map<SchemaName, ReturnType<typeof compileValidator>>();

/** `value` must validate against a contract JSON Schema. */
export function expectSchema(value: unknown, schema: SchemaName, what: string, res?: HttpResponse): void {
  let validate = validators.get(schema);
  if (!validate) {
    validate = compileValidator(schema);
    validators.set(schema, validate);
  }
  const result = validate(value);
  if (!result.valid) {
    fail(`${what} does not match contracts/schemas/${schema}.schema.json: ${describeViolations(result)}`, {
      expected: `valid against ${schema}.schema.json`,
      actual: value,
      ...(res ? { res } : {}),
    });
  }
}

/** A response header must satisfy a predicate; `description` says what was expected. */
export function expectHeader(res: HttpResponse, name: string, description: string, ok: (value: string | undefined) => boolean): void {
  const value = res.headers[name.toLowerCase()];
  if (!ok(value)) {
    fail(`expected header ${name} ${description} from ${res.request}, got ${value === undefined ? 'no such header' : JSON.stringify(value)}`, {
      expected: { [name]: description },
      actual: { [name]: value ?? null },
      res,
    });
  }
}

/** A general condition; use when no specific assertion fits. */
export function expectThat(condition: boolean, message: string, detail: { expected?: unknown; actual?: unknown; res?: HttpResponse } = {}): void {
  if (!condition) fail(message, detail);
}

/** The body text must not contain a secret (a token or its signature). */
export function expectNotEchoed(res: HttpResponse, secret: string, what: string): void {
  if (secret.length >= 8 && res.text.includes(secret)) {
    fail(`${res.request} echoed the ${what} in its ${res.status} response body`, {
      expected: `a body without the ${what}`,
      actual: { status: res.status, body: shownBody(res) },
      res,
    });
  }
}
