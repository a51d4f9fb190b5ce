import { Inject } from '@nestjs/common';
import { Args, Context, Mutation, Resolver, Subscription } from '@nestjs/graphql';
import { GraphQLError } from 'graphql';
import { GRAPHQL_SCOPE } from '#contracts';
import { AiChatRunner } from '../ai-chat-runner.service.js';
import { AiCompletionPubSub } from '../ai-completion.pubsub.js';
import type { GraphqlContext } from '../graphql-context.js';
import { Scopes } from '../scopes.js';
import { AiAction, AiActionInput, AiActionPayload, AiMessageObject } from '../types/ai.types.js';
import { UserIdScalar, userGlobalId } from '../types/scalars.js';
import { resourceNotAvailable } from './errors.js';

const { API, READ_API, AI_FEATURES } = GRAPHQL_SCOPE;

/** Mutations::Ai::Action's MUTUALLY_EXCLUSIVE_ARGUMENTS_ERROR (ee/app/graphql/mutations/ai/action.rb). */
export const AI_ACTION_ONE_METHOD_ERROR = 'Only one method argument is required';

/**
 * aiAction and aiCompletionResponse (ee/app/graphql/mutations/ai/action.rb,
 * ee/app/graphql/subscriptions/ai_completion_response.rb). Both admit `ai_features` by their
 * declarations: the mutation `api` + `ai_features` (action.rb `self.authorization_scopes`
 * = super + [:ai_features]), the subscription `api`, `read_api`, `ai_features`
 * (ee/app/graphql/ee/types/subscription_type.rb `field :ai_completion_response, scopes:`).
 */
@Resolver()
export class AiResolver {
  constructor(
    @Inject(AiChatRunner) private readonly runner: AiChatRunner,
    @Inject(AiCompletionPubSub) private readonly pubsub: AiCompletionPubSub,
  ) {}

  @Scopes(API, AI_FEATURES)
  @Mutation(() => AiActionPayload, { name: 'aiAction', nullable: true, description: 'Experiment. Introduced in GitLab 15.11.' })
  aiAction(@Args('input') input: AiActionInput, @Context() ctx: GraphqlContext): AiActionPayload {
    const user = ctx.actor?.user;
    if (!user) throw resourceNotAvailable();
    if (!input.chat) throw new GraphQLError(AI_ACTION_ONE_METHOD_ERROR);
    const requestId = this.runner.start(user, input.chat.content, input.clientSubscriptionId);
    return { clientMutationId: input.clientMutationId ?? null, errors: [], requestId };
  }

  /**
   * Only the user's own messages: `userId` must be the current user's global ID (absent: the
   * current user); anonymous or another user's -> RESOURCE_ACCESS_ERROR at subscribe time
   * (ai_completion_response.rb `authorized?`).
   */
  @Scopes(API, READ_API, AI_FEATURES)
  @Subscription(() => AiMessageObject, {
    name: 'aiCompletionResponse',
    nullable: true,
    description: 'Triggered when a response from AI integration is received.',
    resolve: (payload: AiMessageObject) => payload,
  })
  aiCompletionResponse(
    @Args('userId', { type: () => UserIdScalar, nullable: true, description: 'ID of the user.' }) userId: string | null | undefined,
    @Args('aiAction', { type: () => AiAction, nullable: true, description: 'Specify the AI action.' }) aiAction: AiAction | null | undefined,
    @Args('clientSubscriptionId', { type: () => String, nullable: true, description: 'Client generated ID that be subscribed to, to receive a response for the mutation.' })
    clientSubscriptionId: string | null | undefined,
    @Context() ctx: GraphqlContext,
  ): AsyncIterableIterator<AiMessageObject> {
    const user = ctx.actor?.user;
    if (!user) throw resourceNotAvailable();
    const own = userGlobalId(user.id);
    if (userId && userId !== own) throw resourceNotAvailable();
    return this.pubsub.subscribe({ userId: own, aiAction: aiAction ?? AiAction.CHAT, clientSubscriptionId: clientSubscriptionId ?? null });
  }
}
