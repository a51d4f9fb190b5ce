import type { FastifyRequest } from 'fastify';
import type { ContractHttpException } from '#common';

/**
 * Where KeystrokeAuthHook keeps a keystroke's refusal between its verdict (preParsing) and its
 * answer (preHandler); LenientBodyParsing reads the body of a request carrying one without
 * parsing it, since nothing will read the parsed value.
 */
export const REFUSAL = Symbol('keystroke refusal');

export type RefusableRequest = FastifyRequest & { [REFUSAL]?: ContractHttpException };

/** Whether the keystroke hook has already refused `request`. */
export function refusedBeforeParsing(request: FastifyRequest): boolean {
  return (request as RefusableRequest)[REFUSAL] !== undefined;
}
