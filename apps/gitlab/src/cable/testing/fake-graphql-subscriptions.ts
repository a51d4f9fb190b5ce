import type { ExecutionResult } from 'graphql';
import type { Actor } from '../../auth/actor.js';
import { GraphqlSubscriptions, type GraphqlSubscriptionRequest } from '../../graphql/graphql-subscriptions.port.js';

/**
 * A GraphqlSubscriptions that needs no schema: a query containing `refused` gets one result with
 * an error; any other yields `events` results `{data: {tick: n}}` (n = 1..events) and ends, or,
 * with `events` Infinity, waits after the first until it is returned. Records every call and
 * every iterator ended by return().
 */
export class FakeGraphqlSubscriptions extends GraphqlSubscriptions {
  readonly calls: Array<{ request: GraphqlSubscriptionRequest; actor: Actor | undefined }> = [];
  returned = 0;

  constructor(private readonly events = 3) {
    super();
  }

  async subscribe(request: GraphqlSubscriptionRequest, actor: Actor | undefined): Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult> {
    this.calls.push({ request, actor });
    if (request.query.includes('refused')) return { errors: [{ message: 'Unauthorized subscription' }] } as unknown as ExecutionResult;
    return this.stream();
  }

  private stream(): AsyncIterableIterator<ExecutionResult> {
    let n = 0;
    let ended = false;
    let wake: (() => void) | undefined;
    const fake = this;
    const iterator: AsyncIterableIterator<ExecutionResult> = {
      async next() {
        if (ended) return { done: true, value: undefined };
        if (n >= fake.events) return { done: true, value: undefined };
        if (n >= 1 && fake.events === Infinity) await new Promise<void>((resolve) => (wake = resolve));
        if (ended) return { done: true, value: undefined };
        n += 1;
        return { done: false, value: { data: { tick: n } } };
      },
      async return() {
        if (!ended) fake.returned += 1;
        ended = true;
        wake?.();
        return { done: true, value: undefined };
      },
      [Symbol.asyncIterator]() {
        return iterator;
      },
    };
    return iterator;
  }
}
