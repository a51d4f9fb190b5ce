import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { refusedBeforeParsing } from '../auth/keystroke-refusal.js';

/** A request body that could not be read as JSON; handlers answer it with a 422 after auth ran. */
export class UnparsableBody {
  constructor(
    readonly type: 'json_invalid' | 'missing' | 'unsupported_media_type',
    readonly message: string,
  ) {}
}

/**
 * The production gateway authenticates in a middleware, before FastAPI reads the body. Fastify
 * parses bodies before Nest's guards run, so a malformed body would be answered before the
 * token is looked at. These parsers never fail: they hand an UnparsableBody to the handler,
 * which runs after the AuthGuard and answers FastAPI's 422. The JSON parser is Fastify's own
 * (prototype-poisoning protection kept).
 */
@Injectable()
export class LenientBodyParsing implements OnModuleInit {
  constructor(@Inject(HttpAdapterHost) private readonly adapterHost: HttpAdapterHost) {}

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    const parseJson = fastify.getDefaultJsonParser('error', 'error');
    fastify.removeContentTypeParser('application/json');
    fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
      // Refused already: read (the connection needs it) but not parsed; no handler runs.
      if (refusedBeforeParsing(request)) {
        done(null, undefined);
        return;
      }
      if (body === '' || body === undefined) {
        done(null, new UnparsableBody('missing', 'Field required'));
        return;
      }
      parseJson(request, body.toString(), (error: Error | null, parsed?: unknown) => {
        done(null, error ? new UnparsableBody('json_invalid', 'JSON decode error') : parsed);
      });
    });
    fastify.addContentTypeParser('*', { parseAs: 'buffer' }, (request, _body, done) => {
      done(null, new UnparsableBody('unsupported_media_type', `Unsupported content type ${String(request.headers['content-type']).slice(0, 100)}`));
    });
  }
}
