import { readFileSync, readdirSync } from 'node:fs';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { contractPath } from './files.js';

/** Names of the JSON Schemas in contracts/schemas (file name without `.schema.json`). */
export const SCHEMA = {
  AI_ACCESS_TOKEN_CLAIMS: 'ai-access-token-claims',
  AI_ACCESS_TOKEN_HEADER: 'ai-access-token-header',
  CODE_SUGGESTIONS_TOKEN_RESPONSE: 'code-suggestions-token-response',
  JWKS: 'jwks',
  OPENID_CONFIGURATION: 'openid-configuration',
  GITLAB_MESSAGE_ERROR: 'gitlab-message-error',
  INSUFFICIENT_SCOPE_ERROR: 'insufficient-scope-error',
  OAUTH_BEARER_ERROR: 'oauth-bearer-error',
  GATEWAY_AUTH_ERROR: 'gateway-auth-error',
  GATEWAY_DETAIL_ERROR: 'gateway-detail-error',
  COMPLETIONS_REQUEST: 'completions-request',
  COMPLETIONS_RESPONSE: 'completions-response',
  FAKE_MODEL_REQUEST: 'fake-model-request',
  FAKE_MODEL_RESPONSE: 'fake-model-response',
  CHAT_REQUEST: 'chat-request',
  CHAT_RESPONSE: 'chat-response',
  FAKE_MODEL_CHAT_REQUEST: 'fake-model-chat-request',
  FAKE_MODEL_CHAT_EVENT: 'fake-model-chat-event',
  DEMO_FIXTURE: 'demo-fixture',
  HARNESS_CONTROL: 'harness-control',
  OAUTH_TOKEN_RESPONSE: 'oauth-token-response',
  OAUTH_ERROR: 'oauth-error',
  OAUTH_TOKEN_INFO: 'oauth-token-info',
  OAUTH_REGISTRATION: 'oauth-registration',
  OAUTH_APPLICATION: 'oauth-application',
} as const;
export type SchemaName = (typeof SCHEMA)[keyof typeof SCHEMA];

export interface SchemaViolation {
  /** JSON pointer of the offending value ('' for the root). */
  path: string;
  message: string;
}

export type ValidationResult = { valid: true } | { valid: false; violations: SchemaViolation[] };

/** ajv-formats is CommonJS; under NodeNext its default import is the plugin function. */
const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;

/**
 * All contract schemas compiled once, on first use, by one Ajv instance (2020-12 dialect,
 * all errors, formats). Callers keep the returned validator: validation on a hot path costs
 * no compilation.
 */
class SchemaRegistry {
  private readonly ajv: Ajv2020;
  private readonly compiled = new Map<string, ValidateFunction>();

  constructor() {
    this.ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true });
    addFormats(this.ajv);
    // `default` and `description` inside schemas are annotations, not keywords to reject.
    for (const file of readdirSync(contractPath('schemas')).filter((f) => f.endsWith('.schema.json'))) {
      const schema = JSON.parse(readFileSync(contractPath('schemas', file), 'utf8')) as { $id: string };
      this.ajv.addSchema(schema, file.replace(/\.schema\.json$/, ''));
    }
  }

  validator(name: SchemaName): ValidateFunction {
    let fn = this.compiled.get(name);
    if (!fn) {
      fn = this.ajv.getSchema(name);
      if (!fn) throw new Error(`unknown contract schema '${name}'`);
      this.compiled.set(name, fn);
    }
    return fn;
  }
}

let registry: SchemaRegistry | undefined;
function schemas(): SchemaRegistry {
  registry ??= new SchemaRegistry();
  return registry;
}

function toViolations(errors: ErrorObject[] | null | undefined): SchemaViolation[] {
  return (errors ?? []).map((e) => ({
    path: e.instancePath,
    message: `${e.instancePath || '(root)'} ${e.message ?? 'is invalid'}${
      e.params && Object.keys(e.params).length ? ` ${JSON.stringify(e.params)}` : ''
    }`,
  }));
}

/** A reusable validator for one contract schema. */
export function compileValidator(name: SchemaName): (data: unknown) => ValidationResult {
  const fn = schemas().validator(name);
  return (data: unknown) => (fn(data) ? { valid: true } : { valid: false, violations: toViolations(fn.errors) });
}

/** One-off validation against a contract schema. */
export function validateAgainst(name: SchemaName, data: unknown): ValidationResult {
  return compileValidator(name)(data);
}

/** Human-readable summary of violations, for error messages. */
export function describeViolations(result: ValidationResult): string {
  return result.valid ? 'valid' : result.violations.map((v) => v.message).join('; ');
}
