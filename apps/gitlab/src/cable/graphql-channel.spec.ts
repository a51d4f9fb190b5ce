import { createLogger } from '#common';
import type { GraphqlChannelMessage } from '#contracts';
import { type ChannelTransport, GraphqlChannelSubscription, InvalidVariablesError, channelRequest, channelVariables } from './graphql-channel.js';
import { FakeGraphqlSubscriptions } from './testing/fake-graphql-subscriptions.js';

const logger = createLogger({ app: 'test', level: 'silent' });

/** A transport that records what the subscription sent, in order. */
function recorder(): ChannelTransport & { sent: Array<GraphqlChannelMessage | 'confirm' | 'reject'> } {
  const sent: Array<GraphqlChannelMessage | 'confirm' | 'reject'> = [];
  return { sent, transmit: (m) => sent.push(m), confirm: () => sent.push('confirm'), reject: () => sent.push('reject') };
}

describe('channelVariables (Gitlab::Graphql::Variables#to_h)', () => {
  it('takes an object, a JSON object string, an empty string or nothing', () => {
    expect(channelVariables({ a: 1 })).toEqual({ a: 1 });
    expect(channelVariables('{"a":1}')).toEqual({ a: 1 });
    expect(channelVariables('  ')).toEqual({});
    expect(channelVariables(null)).toEqual({});
    expect(channelVariables(undefined)).toEqual({});
  });

  it('refuses anything else with "Unexpected parameter"', () => {
    for (const bad of ['{nope', '[1]', 7, true, [1]]) {
      expect(() => channelVariables(bad)).toThrow(InvalidVariablesError);
      expect(() => channelVariables(bad)).toThrow(/^Unexpected parameter: /);
    }
  });
});

describe('channelRequest', () => {
  it('reads query, variables and operationName from the identifier params, ignoring nonce', () => {
    expect(channelRequest({ channel: 'GraphqlChannel', query: 'subscription { a }', variables: '{"x":1}', operationName: 'A', nonce: 'n' })).toEqual({
      query: 'subscription { a }',
      variables: { x: 1 },
      operationName: 'A',
    });
  });

  it('turns a missing query into the empty document and a non-string operationName into null', () => {
    expect(channelRequest({ channel: 'GraphqlChannel', operationName: 5 })).toEqual({ query: '', variables: {}, operationName: null });
    expect(channelRequest({ channel: 'GraphqlChannel', query: 12 })).toMatchObject({ query: '12' });
  });
});

describe('GraphqlChannelSubscription', () => {
  it('sends the first answer, confirms, then each event and the end (graphql-ruby ActionCableSubscriptions)', async () => {
    const transport = recorder();
    await new GraphqlChannelSubscription({ query: 'subscription { tick }' }, transport, new FakeGraphqlSubscriptions(2), logger).subscribed(undefined);
    expect(transport.sent).toEqual([
      { result: { data: {} }, more: true },
      'confirm',
      { result: { data: { tick: 1 } }, more: true },
      { result: { data: { tick: 2 } }, more: true },
      { more: false },
    ]);
  });

  it('sends a refused operation\'s result with more: false, then confirms', async () => {
    const transport = recorder();
    await new GraphqlChannelSubscription({ query: 'subscription refused { tick }' }, transport, new FakeGraphqlSubscriptions(), logger).subscribed(undefined);
    expect(transport.sent).toEqual([{ result: { errors: [{ message: 'Unauthorized subscription' }] }, more: false }, 'confirm']);
  });

  it('answers invalid variables with their error and rejects, without running the operation', async () => {
    const transport = recorder();
    const graphql = new FakeGraphqlSubscriptions();
    await new GraphqlChannelSubscription({ query: 'subscription { tick }', variables: 3 }, transport, graphql, logger).subscribed(undefined);
    expect(transport.sent).toEqual([{ errors: [{ message: 'Unexpected parameter: 3' }] }, 'reject']);
    expect(graphql.calls).toEqual([]);
  });

  it('passes the actor on, and ends the operation when unsubscribed, sending nothing more', async () => {
    const transport = recorder();
    const graphql = new FakeGraphqlSubscriptions(Infinity);
    const subscription = new GraphqlChannelSubscription({ query: 'subscription { tick }' }, transport, graphql, logger);
    const actor = { via: 'session', user: { id: 1 } } as never;
    const running = subscription.subscribed(actor);
    await new Promise((resolve) => setImmediate(resolve));
    subscription.unsubscribed();
    await running;
    expect(graphql.calls[0]!.actor).toBe(actor);
    expect(graphql.returned).toBe(1);
    expect(transport.sent).toEqual([{ result: { data: {} }, more: true }, 'confirm', { result: { data: { tick: 1 } }, more: true }]);
  });

  it('returns an iterator that arrives after the client already unsubscribed', async () => {
    const transport = recorder();
    const graphql = new FakeGraphqlSubscriptions(Infinity);
    const subscription = new GraphqlChannelSubscription({ query: 'subscription { tick }' }, transport, graphql, logger);
    const running = subscription.subscribed(undefined);
    subscription.unsubscribed();
    await running;
    expect(graphql.returned).toBe(1);
    expect(transport.sent).toEqual([]);
  });
});
