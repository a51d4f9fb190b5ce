import { fastifyCookie } from '@fastify/cookie';
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';

/**
 * Fastify behaviour the emulated GitLab needs, applied while Nest initialises (before the
 * server is ready), so an app built from GitlabModule alone (tests) gets it too:
 *
 * - @fastify/cookie (request.cookies, reply.setCookie) for the browser session.
 * - A JSON body parser that accepts an empty body, as Rails does: seed 001's own example,
 *   `curl -X POST .../code_suggestions/tokens -H "Content-type: application/json"`, sends
 *   none. Non-empty bodies go through Fastify's default parser (prototype-poisoning checks,
 *   400 on malformed JSON, the instance's body limit).
 *
 * Both are queued, deliberately not awaited: awaiting a registration would make Fastify load
 * the routes declared so far at once, binding them to its default error handler before Nest
 * installs its own (malformed JSON and 413 would then bypass ContractExceptionFilter).
 */
export function applyGitlabFastifySetup(fastify: FastifyInstance): void {
  if (!fastify.hasDecorator('parseCookie')) void fastify.register(fastifyCookie);

  const parseJson = fastify.getDefaultJsonParser('error', 'error');
  if (fastify.hasContentTypeParser('application/json')) fastify.removeContentTypeParser('application/json');
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') {
      done(null, undefined);
      return;
    }
    parseJson(req, text, done);
  });
}

/** Applies applyGitlabFastifySetup while Nest initialises the app. */
@Injectable()
export class GitlabFastifySetup implements OnModuleInit {
  constructor(@Inject(HttpAdapterHost) private readonly adapterHost: HttpAdapterHost) {}

  onModuleInit(): void {
    applyGitlabFastifySetup(this.adapterHost.httpAdapter.getInstance<FastifyInstance>());
  }
}
