import type { FastifyReply } from 'fastify';

/** Aborts when the connection closes before the answer was sent (the client gave up). */
export function disconnectSignal(reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  reply.raw.once('close', () => controller.abort());
  return controller.signal;
}
