import { Body, Controller, Get, HttpCode, Inject, Post, Query, Req, UseGuards } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { type ExecutionResult, GraphQLError } from 'graphql';
import { APP_LOGGER, type Logger } from '#common';
import { GRAPHQL_CONTROLLER_ERROR, PATH } from '#contracts';
import { actorOf } from '../auth/allow-access-with-scope.decorator.js';
import { GraphqlAuthGuard } from './graphql-auth.guard.js';
import { GraphqlExecutor, type GraphqlRequest } from './graphql-executor.service.js';
import { readGraphqlRequest, unprocessable } from './graphql-request.js';

/** What a resolver error that is not a GraphQL error reads as (GraphqlController#handle_internal_error). */
const INTERNAL_ERROR = 'Internal server error';

/** The JSON body of one result: `errors` first then `data`, as graphql-ruby writes them. */
type ResultBody = { errors?: unknown[]; data?: unknown };

/**
 * GitLab's GraphqlController#execute at /api/graphql: POST for anything, GET (and HEAD) for
 * queries only (`disallow_mutations_for_get`: 422 "Mutations are forbidden in GET requests").
 * Authentication by GraphqlAuthGuard; GraphQL errors (syntax, validation, limits, scope
 * denials) are HTTP 200 with `errors`; the controller's own refusals are 401/422
 * `{"errors":[{"message"}]}`. A batch (JSON array body) answers an array of results.
 */
@Controller()
@UseGuards(GraphqlAuthGuard)
export class GraphqlController {
  constructor(
    @Inject(GraphqlExecutor) private readonly executor: GraphqlExecutor,
    @Inject(APP_LOGGER) private readonly logger: Logger,
  ) {}

  @Post(PATH.GITLAB_GRAPHQL)
  @HttpCode(200)
  async post(@Body() body: unknown, @Req() req: FastifyRequest): Promise<ResultBody | ResultBody[]> {
    return this.run(body, req, false);
  }

  @Get(PATH.GITLAB_GRAPHQL)
  async get(@Query() query: unknown, @Req() req: FastifyRequest): Promise<ResultBody | ResultBody[]> {
    return this.run(query, req, true);
  }

  private async run(params: unknown, req: FastifyRequest, safeMethod: boolean): Promise<ResultBody | ResultBody[]> {
    const parsed = readGraphqlRequest(params);
    const requests = parsed.batch ? parsed.requests : [parsed.request];
    if (safeMethod && requests.some((r) => this.executor.isMutation(r))) {
      throw unprocessable(GRAPHQL_CONTROLLER_ERROR.MUTATIONS_FORBIDDEN_FOR_GET.replace('GET', req.method === 'HEAD' ? 'HEAD' : 'GET'));
    }
    const actor = actorOf(req);
    const results = await Promise.all(requests.map((r: GraphqlRequest) => this.executor.execute(r, actor)));
    const bodies = results.map((r) => this.body(r));
    return parsed.batch ? bodies : bodies[0]!;
  }

  /** A result as JSON; a resolver's unexpected exception is masked and logged, never echoed. */
  private body(result: ExecutionResult): ResultBody {
    const out: ResultBody = {};
    if (result.errors?.length) {
      out.errors = result.errors.map((e) => {
        const original = e.originalError;
        if (original && !(original instanceof GraphQLError)) {
          this.logger.error({ err: original, path: e.path }, 'GraphQL resolver failed');
          return { message: INTERNAL_ERROR, ...(e.locations ? { locations: e.locations } : {}), ...(e.path ? { path: e.path } : {}) };
        }
        return e.toJSON();
      });
    }
    if ('data' in result) out.data = result.data;
    return out;
  }
}
