import { z } from 'zod';
import { badRequest } from '../errors.js';
import { AI_ACCESS_TOKEN_RULE, type InstanceSettingsChange, isValidServiceToken } from './instance-settings.service.js';

/** The settings this emulator knows; GitLab has hundreds more. */
export const KNOWN_SETTINGS = ['code_suggestions_enabled', 'ai_access_token'] as const;

/** Parameters that authenticate the request rather than change a setting (Grape ignores them too). */
const AUTH_PARAMS = new Set(['private_token']);

/**
 * Grape's Boolean coercion (dry-types Params::Bool TRUE_VALUES/FALSE_VALUES), as form fields and
 * query strings need it: exactly these spellings, untrimmed; gitlab.yaml lists the same words.
 */
const TRUE_WORDS = new Set(['1', 'on', 'On', 'ON', 't', 'true', 'True', 'TRUE', 'T', 'y', 'yes', 'Yes', 'YES', 'Y']);
const FALSE_WORDS = new Set(['0', 'off', 'Off', 'OFF', 'f', 'false', 'False', 'FALSE', 'F', 'n', 'no', 'No', 'NO', 'N']);

/** A Grape Boolean parameter's value, or undefined when it is not one of the spellings. */
export function coerceBoolean(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (value === 1 || value === 0) return value === 1;
  if (typeof value !== 'string') return undefined;
  if (TRUE_WORDS.has(value)) return true;
  if (FALSE_WORDS.has(value)) return false;
  return undefined;
}

/**
 * PUT /api/v4/application/settings parameters (query string merged with a JSON or form body, as
 * Grape's params are): code_suggestions_enabled (Boolean, Grape's coercion) and
 * ai_access_token (String; '' or null clears). At least one is required (GitLab's
 * at_least_one_of); a setting this emulator does not know is a 400 naming it rather than a
 * silent no-op. Messages never quote the token.
 */
export function parseAdminSettingsParams(query: unknown, body: unknown): InstanceSettingsChange {
  if (body !== undefined && body !== null && (typeof body !== 'object' || Array.isArray(body))) {
    throw badRequest('the body must be a JSON object or a form');
  }
  const params: Record<string, unknown> = { ...(isRecord(query) ? query : {}), ...(isRecord(body) ? body : {}) };
  const unknown = Object.keys(params).filter((k) => !AUTH_PARAMS.has(k) && !(KNOWN_SETTINGS as readonly string[]).includes(k));
  if (unknown.length) {
    throw badRequest(`${unknown.join(', ')} ${unknown.length === 1 ? 'is not a setting' : 'are not settings'} of this emulator (known: ${KNOWN_SETTINGS.join(', ')})`);
  }
  const change: InstanceSettingsChange = {};
  const problems: string[] = [];
  if ('code_suggestions_enabled' in params) {
    const enabled = coerceBoolean(params.code_suggestions_enabled);
    if (enabled === undefined) problems.push('code_suggestions_enabled is invalid (expected true or false)');
    else change.code_suggestions_enabled = enabled;
  }
  if ('ai_access_token' in params) {
    const token = params.ai_access_token;
    if (token === null || token === '') change.ai_access_token = null;
    else if (typeof token !== 'string' || !isValidServiceToken(token)) problems.push(`ai_access_token ${AI_ACCESS_TOKEN_RULE}`);
    else change.ai_access_token = token;
  }
  if (problems.length) throw badRequest(problems.join('; '));
  if (Object.keys(change).length === 0) {
    throw badRequest(`${KNOWN_SETTINGS.join(', ')} are missing, at least one parameter must be provided`);
  }
  return change;
}

/** PUT /-/harness/settings: strict JSON, same rules for the token. */
export const controlSettingsBody = z
  .object({
    code_suggestions_enabled: z.boolean().optional(),
    ai_access_token: z
      .string()
      .refine((t) => t === '' || isValidServiceToken(t), { message: AI_ACCESS_TOKEN_RULE })
      .nullable()
      .optional(),
  })
  .strict();

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
