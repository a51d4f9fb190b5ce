import type { SchemaViolation } from '#contracts';
import { UnparsableBody } from '../http/lenient-body-parsing.js';

/** One entry of FastAPI's 422 `detail` list. */
export interface FastApiValidationError {
  loc: Array<string | number>;
  msg: string;
  type: string;
}

/** ajv message -> FastAPI (pydantic v2) type and wording, so clients see the production gateway's shape. */
const RULES: Array<{ match: RegExp; type: string; msg: (m: RegExpExecArray, params: Record<string, unknown>) => string; field?: string }> = [
  { match: /^must have required property/, type: 'missing', msg: () => 'Field required', field: 'missingProperty' },
  { match: /^must NOT have additional properties/, type: 'extra_forbidden', msg: () => 'Extra inputs are not permitted', field: 'additionalProperty' },
  { match: /^must be string/, type: 'string_type', msg: () => 'Input should be a valid string' },
  { match: /^must be integer/, type: 'int_type', msg: () => 'Input should be a valid integer' },
  { match: /^must be number/, type: 'float_type', msg: () => 'Input should be a valid number' },
  { match: /^must be boolean/, type: 'bool_type', msg: () => 'Input should be a valid boolean' },
  { match: /^must be object/, type: 'model_attributes_type', msg: () => 'Input should be a valid dictionary or object to extract fields from' },
  { match: /^must be array/, type: 'list_type', msg: () => 'Input should be a valid list' },
  { match: /^must NOT have more than (\d+) characters/, type: 'string_too_long', msg: (m) => `String should have at most ${m[1]} characters` },
  { match: /^must NOT have fewer than (\d+) characters/, type: 'string_too_short', msg: (m) => `String should have at least ${m[1]} characters` },
  { match: /^must NOT have more than (\d+) items/, type: 'too_long', msg: (m) => `List should have at most ${m[1]} items` },
  { match: /^must NOT have fewer than (\d+) items/, type: 'too_short', msg: (m) => `List should have at least ${m[1]} items` },
  { match: /^must be >= (\S+)/, type: 'greater_than_equal', msg: (m) => `Input should be greater than or equal to ${m[1]}` },
  { match: /^must be <= (\S+)/, type: 'less_than_equal', msg: (m) => `Input should be less than or equal to ${m[1]}` },
];

/**
 * Turns contract-schema violations into FastAPI's `{"detail": [{loc, msg, type}]}` entries.
 * SchemaViolation carries only `path` and the formatted message ("<path> <ajv message> <params
 * JSON>"), so the ajv message and params are read back from it.
 */
export function toFastApiErrors(violations: readonly SchemaViolation[]): FastApiValidationError[] {
  return violations.map((violation) => {
    const rest = violation.message.slice((violation.path || '(root)').length + 1);
    const split = /^(.*?)(?: (\{.*\}))?$/s.exec(rest);
    const message = split?.[1] ?? rest;
    let params: Record<string, unknown> = {};
    try {
      params = split?.[2] ? (JSON.parse(split[2]) as Record<string, unknown>) : {};
    } catch {
      params = {};
    }
    const loc: Array<string | number> = ['body', ...pointerSegments(violation.path)];
    for (const rule of RULES) {
      const m = rule.match.exec(message);
      if (!m) continue;
      const field = rule.field ? params[rule.field] : undefined;
      if (typeof field === 'string') loc.push(field);
      return { loc, msg: rule.msg(m, params), type: rule.type };
    }
    return { loc, msg: message, type: 'value_error' };
  });
}

export function unparsableBodyErrors(body: UnparsableBody): FastApiValidationError[] {
  if (body.type === 'missing') return [{ loc: ['body'], msg: 'Field required', type: 'missing' }];
  if (body.type === 'json_invalid') return [{ loc: ['body', 0], msg: 'JSON decode error', type: 'json_invalid' }];
  return [{ loc: ['body'], msg: 'Input should be a valid dictionary or object to extract fields from', type: 'model_attributes_type' }];
}

function pointerSegments(pointer: string): Array<string | number> {
  if (!pointer) return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}
