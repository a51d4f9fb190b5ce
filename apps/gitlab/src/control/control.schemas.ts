import { z } from 'zod';
import { AUDIENCE } from '../../../../contracts/src/index.js';
import { badRequest } from '../errors.js';

/** Request bodies of the harness control API. Unknown members are mistakes, not extensions. */

const jsonObject = z.record(z.string(), z.unknown());

export const mintTokenBody = z
  .object({
    username: z.string().min(1).optional(),
    claims: jsonObject.optional(),
    header: jsonObject.optional(),
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

export const aiTokenBody = z
  .object({
    audience: z.enum([AUDIENCE.AI_GATEWAY, AUDIENCE.LEGACY_CODE_SUGGESTIONS]).optional(),
    includeKid: z.boolean().optional(),
  })
  .strict();

export const requestsQuery = z
  .object({
    since: z
      .string()
      .refine((s) => !Number.isNaN(Date.parse(s)), { message: 'must be an ISO 8601 time' })
      .transform((s) => new Date(s).toISOString())
      .optional(),
    path: z.string().startsWith('/', { message: "must start with '/'" }).optional(),
  })
  .strict();

export const groupBody = z.object({ code_suggestions_enabled: z.boolean() }).strict();

export const relayBody = z
  .object({
    saas_url: z
      .string()
      .url()
      .refine((u) => /^https?:\/\/[^/@]+$/.test(u.replace(/\/+$/, '')), { message: 'must be an http(s) origin without credentials or path' })
      .transform((u) => u.replace(/\/+$/, ''))
      .optional(),
    timeout_ms: z.number().int().min(1).max(600_000).optional(),
  })
  .strict();

export const FEATURE_FLAG_NAME = /^[a-z][a-z0-9_]*$/;

/** Parses a body or throws 400 `{"message":"400 Bad request - <member>: <problem>"}`. */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown, what = 'body'): z.infer<S> {
  const result = schema.safeParse(body ?? {});
  if (result.success) return result.data;
  const reasons = result.error.issues.map((i) => `${i.path.length ? i.path.join('.') : what} ${i.message}`);
  throw badRequest(reasons.join('; '));
}
