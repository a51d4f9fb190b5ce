import { z } from 'zod';
import { AI_TOKEN_SHAPES } from '#contracts';
import { UNTRUSTED_JSON_BOUNDS, jsonBoundsViolation } from '#common';
import { AI_TOKEN_SHAPE_AUDIENCES, AI_TOKEN_SHAPE_LIST } from '../ai-access/ai-token-settings.service.js';
import { badRequest } from '../errors.js';

/** Request bodies of the harness control API. Unknown members are mistakes, not extensions. */

/**
 * A JSON object from the caller that we will serialise (sign, answer): depth- and size-bounded
 * first, since JSON.stringify of a value nested 100k deep throws (a 500). Fastify's parser
 * accepts any depth (V8's JSON.parse is iterative), so the bound lives here.
 */
const boundedJsonObject = z.record(z.string(), z.unknown()).superRefine((value, ctx) => {
  const violation = jsonBoundsViolation(value, UNTRUSTED_JSON_BOUNDS);
  if (violation) {
    const { maxDepth, maxNodes } = UNTRUSTED_JSON_BOUNDS;
    ctx.addIssue({ code: 'custom', message: `must be at most ${maxDepth} levels deep with at most ${maxNodes} members and elements (${violation})` });
  }
});

export const mintTokenBody = z
  .object({
    username: z.string().min(1).optional(),
    claims: boundedJsonObject.optional(),
    header: boundedJsonObject.optional(),
    kid: z.string().min(1).optional(),
  })
  .strict();

export const addKeyBody = z.object({ activate: z.boolean().optional() }).strict();

export const featureFlagBody = z
  .object({ enabled: z.boolean(), actors: z.array(z.string().min(1)).optional() })
  .strict()
  .refine((b) => b.enabled || b.actors === undefined, {
    message: 'are only allowed with enabled: true (enabled: false turns the flag off for everyone)',
    path: ['actors'],
  });

/**
 * PUT /-/harness/ai-token: `shape` switches the token generation; `includeKid` true/false
 * overrides the kid choice, null (or a new `shape` without it) restores the shape's own
 * (AiTokenSettingsChange). The old `audience` member is refused with where it went.
 */
export const aiTokenBody = z
  .object({
    shape: z.enum(AI_TOKEN_SHAPES, { message: `must be one of ${AI_TOKEN_SHAPE_LIST}` }).optional(),
    includeKid: z.boolean({ message: "must be true, false or null (the shape's default)" }).nullable().optional(),
    audience: z.undefined({ message: `was replaced by shape, which sets the audience with the rest of the token (${AI_TOKEN_SHAPE_AUDIENCES})` }).optional(),
  })
  .strict();

export const groupBody = z.object({ code_suggestions_enabled: z.boolean() }).strict();

const OCTET = '(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])';
const LABEL = '[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?';
const PORT = '([0-9]{1,4}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])';

/**
 * An http(s) origin the relay can be pointed at: a dotted-quad IPv4 address or a DNS name whose
 * last label starts with a letter (URL parsers read a numeric last label as IPv4), an optional
 * port up to 65535 and an optional `/`; no credentials, path, query or fragment. The contract
 * (harness-control.schema.json `relayTargetUpdate`) states the same pattern for PUT
 * /-/harness/relay `saas_url` (control.schemas.spec.ts holds them equal).
 */
export const SAAS_ORIGIN_PATTERN = `^https?://(${OCTET}(\\.${OCTET}){3}|(${LABEL}\\.)*[A-Za-z]([A-Za-z0-9-]*[A-Za-z0-9])?)(:${PORT})?/?$`;
const SAAS_ORIGIN = new RegExp(SAAS_ORIGIN_PATTERN);

export const relayBody = z
  .object({
    saas_url: z
      .string()
      .regex(SAAS_ORIGIN, { message: 'must be an http(s) origin (IPv4 address or DNS name, optional port) without credentials, path, query or fragment' })
      .transform((u) => u.replace(/\/$/, ''))
      .optional(),
    timeout_ms: z.number().int().min(1).max(600_000).optional(),
  })
  .strict();

export const FEATURE_FLAG_NAME = /^[a-z][a-z0-9_]*$/;

/**
 * Parses a required JSON body or throws 400 `{"message":"400 Bad request - <member> <problem>"}`;
 * no body at all is a 400 too, as the document marks these bodies required.
 */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  if (body === undefined) throw badRequest('body is required: a JSON object (Content-Type: application/json)');
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const reasons = result.error.issues.map((i) => `${i.path.length ? i.path.join('.') : 'body'} ${i.message}`);
  throw badRequest(reasons.join('; '));
}

/** For the bodies the document marks optional (mint a token, add a key): no body means `{}`. */
export function parseOptionalBody<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  return parseBody(schema, body === undefined ? {} : body);
}
