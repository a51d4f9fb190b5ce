import { MercuriusDriver, type MercuriusDriverConfig } from '@nestjs/mercurius';

/**
 * The mercurius driver of @nestjs/graphql for what this app takes from it: building the
 * code-first schema (resolvers, scalars, enums, `transformSchema`) and its subscription
 * plumbing. It does not register the mercurius plugin: /api/graphql is served by
 * GraphqlController (GitLab's authentication and error bodies) and subscriptions by ActionCable
 * through GraphqlSubscriptions, both executing with graphql-js. Registering the plugin during
 * module init would also make Fastify build the app's routes before Nest installs its error
 * handler, so body-parser errors would leave in Fastify's shape instead of GitLab's.
 */
export class SchemaOnlyMercuriusDriver extends MercuriusDriver {
  override async start(_options: MercuriusDriverConfig): Promise<void> {}
}
