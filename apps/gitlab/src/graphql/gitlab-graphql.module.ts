import { Global, Module } from '@nestjs/common';
import { GraphQLModule } from '@nestjs/graphql';
import type { MercuriusDriverConfig } from '@nestjs/mercurius';
import { PATH } from '#contracts';
import { AiChatClient } from '../ai-chat/ai-chat.client.js';
import { AiChatModule } from '../ai-chat/ai-chat.module.js';
import { AuthModule } from '../auth/auth.module.js';
import { FeatureFlagsModule } from '../feature-flags/feature-flags.module.js';
import { AiChat } from './ai-chat.port.js';
import { AiChatRunner } from './ai-chat-runner.service.js';
import { AiCompletionPubSub } from './ai-completion.pubsub.js';
import { GraphqlAuthGuard } from './graphql-auth.guard.js';
import { GraphqlController } from './graphql.controller.js';
import { GraphqlExecutor } from './graphql-executor.service.js';
import { GraphqlSubscriptions } from './graphql-subscriptions.port.js';
import { ProjectsModule } from './projects.module.js';
import { AiResolver } from './resolvers/ai.resolver.js';
import { ProjectResolver } from './resolvers/project.resolver.js';
import { QueryResolver } from './resolvers/query.resolver.js';
import { UpdateIssueResolver } from './resolvers/update-issue.resolver.js';
import { SchemaOnlyMercuriusDriver } from './schema-only.driver.js';
import { enforceScopes } from './scope-enforcement.js';

/**
 * The GraphQL schema of the driver options: code-first (@nestjs/graphql) on the mercurius
 * driver (schema only, see SchemaOnlyMercuriusDriver), scope enforcement applied to the built
 * schema; the controller serves /api/graphql with GitLab's authentication and ActionCable
 * serves subscriptions through GraphqlSubscriptions.
 */
export const graphqlDriverOptions: MercuriusDriverConfig = {
  driver: SchemaOnlyMercuriusDriver,
  autoSchemaFile: true,
  sortSchema: true,
  transformSchema: enforceScopes,
  path: PATH.GITLAB_GRAPHQL,
  routes: false,
  graphiql: false,
};

/**
 * GitLab's GraphQL API (seed 004, issue 9): POST/GET /api/graphql, currentUser, project issues,
 * updateIssue, aiAction(chat) and the aiCompletionResponse subscription, with access token
 * scopes declared on the schema (scopes.ts). Global so that the ActionCable channel can inject
 * GraphqlSubscriptions.
 */
@Global()
@Module({
  imports: [GraphQLModule.forRoot<MercuriusDriverConfig>(graphqlDriverOptions), AuthModule, FeatureFlagsModule, ProjectsModule, AiChatModule],
  controllers: [GraphqlController],
  providers: [
    // aiAction(chat)'s answer: GitLab -> AI gateway -> model (apps/gitlab/src/ai-chat).
    { provide: AiChat, useExisting: AiChatClient },
    AiCompletionPubSub,
    AiChatRunner,
    GraphqlExecutor,
    { provide: GraphqlSubscriptions, useExisting: GraphqlExecutor },
    GraphqlAuthGuard,
    QueryResolver,
    ProjectResolver,
    UpdateIssueResolver,
    AiResolver,
  ],
  exports: [GraphqlSubscriptions, AiCompletionPubSub],
})
export class GitlabGraphqlModule {}
