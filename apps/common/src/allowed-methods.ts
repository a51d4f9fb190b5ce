import type { FastifyInstance } from 'fastify';

/** The methods a 405's Allow header can name: RFC 9110 §9.3, in its order (HEAD comes with every GET route). */
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

/**
 * The methods that have a route for this URL (path and query as received), looked up in
 * Fastify's own router (`findRoute` matches a concrete URL, parametric routes included), so
 * the answer agrees with what routing would do. Empty: no route has this path at all (404).
 */
export function allowedMethods(fastify: Pick<FastifyInstance, 'findRoute'>, url: string): string[] {
  // findRoute is typed non-null but answers null when nothing matches.
  return METHODS.filter((method) => (fastify.findRoute({ method, url }) as unknown) != null);
}
