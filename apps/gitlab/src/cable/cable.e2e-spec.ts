import { CABLE_DISCONNECT_REASON, CABLE_PROTOCOL, GRAPHQL_CHANNEL } from '#contracts';
import { GraphqlSubscriptions } from '../graphql/graphql-subscriptions.port.js';
import { DEMO, signIn } from '../test/helpers.js';
import { CableServer } from './cable-server.js';
import { railsConsumer, rawCable, subscribe } from './testing/cable-clients.js';
import { type CableTestApp, startCableTestApp } from './testing/cable-test-app.js';
import { FakeGraphqlSubscriptions } from './testing/fake-graphql-subscriptions.js';

const QUERY = 'subscription { tick }';
const graphqlChannel = (extra: Record<string, unknown> = {}) => ({ channel: GRAPHQL_CHANNEL, query: QUERY, nonce: `${Math.random()}`, ...extra });

describe('ActionCable at /-/cable with the Rails client (@rails/actioncable)', () => {
  let fake: FakeGraphqlSubscriptions;
  let gl: CableTestApp;
  beforeAll(async () => {
    fake = new FakeGraphqlSubscriptions(3);
    gl = await startCableTestApp({ overrides: [{ provide: GraphqlSubscriptions, useValue: fake }] });
  });
  afterAll(() => gl.close());

  const ide = (token: string) => ({ Authorization: `Bearer ${token}`, Origin: gl.url });

  it('subscribes GraphqlChannel with an ai_features token and receives the first answer, each event and the end', async () => {
    const consumer = railsConsumer(gl.cableUrl, ide(DEMO.pat.aiFeatures));
    try {
      const sub = subscribe(consumer, graphqlChannel({ variables: { a: 1 }, operationName: 'Tick' }));
      await sub.until((e) => e.some((x) => x.kind === 'received' && (x.data as { more?: boolean }).more === false));
      expect(sub.events).toEqual([
        { kind: 'received', data: { result: { data: {} }, more: true } },
        { kind: 'connected' },
        { kind: 'received', data: { result: { data: { tick: 1 } }, more: true } },
        { kind: 'received', data: { result: { data: { tick: 2 } }, more: true } },
        { kind: 'received', data: { result: { data: { tick: 3 } }, more: true } },
        { kind: 'received', data: { more: false } },
      ]);
      const call = fake.calls.at(-1)!;
      expect(call.request).toEqual({ query: QUERY, variables: { a: 1 }, operationName: 'Tick' });
      expect(call.actor).toMatchObject({ via: 'personal_access_token', scopes: ['ai_features'], user: { username: DEMO.developer } });
    } finally {
      consumer.disconnect();
    }
  });

  it('rejects the subscription of a read_user token without running the operation (GitLab channel spec)', async () => {
    const consumer = railsConsumer(gl.cableUrl, ide(DEMO.pat.readUser));
    try {
      const before = fake.calls.length;
      const sub = subscribe(consumer, graphqlChannel());
      await sub.until((e) => e.length > 0);
      expect(sub.events).toEqual([{ kind: 'rejected' }]);
      expect(fake.calls.length).toBe(before);
    } finally {
      consumer.disconnect();
    }
  });

  it('refuses the connection of an unknown token: disconnect unauthorized, no reconnect', async () => {
    const consumer = railsConsumer(gl.cableUrl, ide('glpat-nobody-knows-this'));
    try {
      const sub = subscribe(consumer, graphqlChannel());
      await sub.until((e) => e.some((x) => x.kind === 'disconnected'));
      expect(sub.events).toEqual([{ kind: 'disconnected', data: { willAttemptReconnect: false } }]);
    } finally {
      consumer.disconnect();
    }
  });

  it('sends a refused operation\'s one result with more: false, then confirms', async () => {
    const consumer = railsConsumer(gl.cableUrl, ide(DEMO.pat.api));
    try {
      const sub = subscribe(consumer, graphqlChannel({ query: 'subscription refused { tick }' }));
      await sub.until((e) => e.some((x) => x.kind === 'connected'));
      expect(sub.events).toEqual([
        { kind: 'received', data: { result: { errors: [{ message: 'Unauthorized subscription' }] }, more: false } },
        { kind: 'connected' },
      ]);
    } finally {
      consumer.disconnect();
    }
  });
});

describe('ActionCable at /-/cable: the protocol, authentication and bounds', () => {
  let fake: FakeGraphqlSubscriptions;
  let gl: CableTestApp;
  let now = Date.parse('2024-01-30T12:00:00Z');
  beforeAll(async () => {
    fake = new FakeGraphqlSubscriptions(Infinity);
    gl = await startCableTestApp({
      overrides: [{ provide: GraphqlSubscriptions, useValue: fake }],
      limits: { maxSubscriptionsPerConnection: 2, maxMessageBytes: 4096, beatIntervalMs: 100 },
      clock: { now: () => now },
    });
  });
  afterAll(() => gl.close());
  afterEach(() => {
    now = Date.parse('2024-01-30T12:00:00Z');
  });

  const headers = (token?: string, origin?: string) => ({
    ...(token ? { Authorization: `Bearer ${token}` } : {}),
    ...(origin === undefined ? { Origin: gl.url } : origin ? { Origin: origin } : {}),
  });
  const subscribeCommand = (params: Record<string, unknown>) => ({ command: 'subscribe', identifier: JSON.stringify(params) });

  it('welcomes on actioncable-v1-json, then pings with epoch seconds', async () => {
    const cable = rawCable(gl.cableUrl, headers(DEMO.pat.api));
    try {
      expect(await cable.next(() => true)).toEqual({ type: 'welcome' });
      expect(cable.socket.protocol).toBe(CABLE_PROTOCOL.V1_JSON);
      const ping = await cable.next((f) => f.type === 'ping');
      expect(ping).toEqual({ type: 'ping', message: Math.floor(now / 1000) });
    } finally {
      cable.socket.close();
    }
  });

  it('selects the first offered protocol it knows, and answers a client that offers none without one', async () => {
    const unsupported = rawCable(gl.cableUrl, headers(DEMO.pat.api), ['graphql-ws', CABLE_PROTOCOL.UNSUPPORTED, CABLE_PROTOCOL.V1_JSON]);
    const none = rawCable(gl.cableUrl, headers(DEMO.pat.api), []);
    try {
      await unsupported.next((f) => f.type === 'welcome');
      await none.next((f) => f.type === 'welcome');
      expect(unsupported.socket.protocol).toBe(CABLE_PROTOCOL.UNSUPPORTED);
      expect(none.socket.protocol).toBe('');
    } finally {
      unsupported.socket.close();
      none.socket.close();
    }
  });

  it('refuses an upgrade without Origin or from a foreign origin with 404 "Page not found", as Rails', async () => {
    for (const origin of ['', 'https://evil.example']) {
      const cable = rawCable(gl.cableUrl, headers(DEMO.pat.api, origin));
      await cable.ended;
      expect(cable.refusedWith).toEqual({ status: 404, body: 'Page not found' });
    }
  });

  it('accepts the Web IDE frame origin', async () => {
    const frameOrigin = gl.url.replace('127.0.0.1', 'localhost');
    const cable = rawCable(gl.cableUrl, headers(DEMO.pat.api, frameOrigin));
    try {
      expect(await cable.next(() => true)).toEqual({ type: 'welcome' });
    } finally {
      cable.socket.close();
    }
  });

  it('refuses expired and revoked tokens at connect: disconnect unauthorized without reconnect, then close', async () => {
    now = Date.parse('2024-02-01T00:00:00Z');
    for (const token of [DEMO.pat.expired, DEMO.pat.revoked, 'glpat-nobody-knows-this']) {
      const cable = rawCable(gl.cableUrl, headers(token));
      await cable.ended;
      expect(cable.frames).toEqual([{ type: 'disconnect', reason: CABLE_DISCONNECT_REASON.UNAUTHORIZED, reconnect: false }]);
      expect(cable.closed).toEqual({ code: 1000 });
    }
  });

  it('rejects at subscribe a token that expired after the connection opened', async () => {
    const cable = rawCable(gl.cableUrl, headers(DEMO.pat.expired));
    try {
      await cable.next((f) => f.type === 'welcome');
      now = Date.parse('2024-02-01T00:00:00Z');
      const identifier = JSON.stringify(graphqlChannel());
      cable.send({ command: 'subscribe', identifier });
      expect(await cable.next((f) => f.identifier === identifier)).toEqual({ identifier, type: 'reject_subscription' });
    } finally {
      cable.socket.close();
    }
  });

  it('authenticates the session cookie, and accepts an anonymous connection whose operation runs without an actor', async () => {
    const { cookie } = await signIn(gl.url, DEMO.developer, DEMO.password);
    const session = rawCable(gl.cableUrl, { ...headers(), Cookie: cookie });
    const anonymous = rawCable(gl.cableUrl, headers());
    try {
      for (const [cable, expected] of [
        [session, { via: 'session', user: expect.objectContaining({ username: DEMO.developer }) }],
        [anonymous, undefined],
      ] as const) {
        await cable.next((f) => f.type === 'welcome');
        const identifier = JSON.stringify(graphqlChannel());
        cable.send({ command: 'subscribe', identifier });
        await cable.next((f) => f.identifier === identifier && f.type === 'confirm_subscription');
        expect(fake.calls.at(-1)!.actor).toEqual(expected);
      }
    } finally {
      session.socket.close();
      anonymous.socket.close();
    }
  });

  it('ends the operation on unsubscribe and ignores a repeated subscribe', async () => {
    const cable = rawCable(gl.cableUrl, headers(DEMO.pat.api));
    try {
      await cable.next((f) => f.type === 'welcome');
      const identifier = JSON.stringify(graphqlChannel());
      const calls = fake.calls.length;
      cable.send({ command: 'subscribe', identifier });
      await cable.next((f) => f.identifier === identifier && f.type === 'confirm_subscription');
      cable.send({ command: 'subscribe', identifier });
      const returned = fake.returned;
      cable.send({ command: 'unsubscribe', identifier });
      // A later subscribe on the same connection proves the earlier commands were handled.
      const probe = JSON.stringify(graphqlChannel());
      cable.send({ command: 'subscribe', identifier: probe });
      await cable.next((f) => f.identifier === probe && f.type === 'confirm_subscription');
      expect(fake.returned).toBe(returned + 1);
      expect(fake.calls.length).toBe(calls + 2);
    } finally {
      cable.socket.close();
    }
  });

  it('drops malformed frames and keeps the connection; rejects unknown channels and identifiers that are not JSON', async () => {
    const cable = rawCable(gl.cableUrl, headers(DEMO.pat.api));
    try {
      await cable.next((f) => f.type === 'welcome');
      for (const bad of ['not json', '[]', '{"command":"explode","identifier":"{}"}', '{"command":"subscribe","identifier":7}']) cable.send(bad);
      cable.socket.send(Buffer.from([1, 2, 3]));
      const other = JSON.stringify({ channel: 'NotesChannel' });
      cable.send({ command: 'subscribe', identifier: other });
      expect(await cable.next((f) => f.identifier === other)).toEqual({ identifier: other, type: 'reject_subscription' });
      cable.send({ command: 'subscribe', identifier: 'not json' });
      expect(await cable.next((f) => f.identifier === 'not json')).toEqual({ identifier: 'not json', type: 'reject_subscription' });
      expect(cable.closed).toBeUndefined();
    } finally {
      cable.socket.close();
    }
  });

  it('answers invalid variables with GitLab\'s error message, then rejects', async () => {
    const cable = rawCable(gl.cableUrl, headers(DEMO.pat.api));
    try {
      await cable.next((f) => f.type === 'welcome');
      const identifier = JSON.stringify(graphqlChannel({ variables: '{not json' }));
      cable.send({ command: 'subscribe', identifier });
      await cable.next((f) => f.identifier === identifier && f.type === 'reject_subscription');
      expect(cable.frames.filter((f) => f.identifier === identifier)).toEqual([
        { identifier, message: { errors: [{ message: 'Unexpected parameter: variables are not valid JSON' }] } },
        { identifier, type: 'reject_subscription' },
      ]);
    } finally {
      cable.socket.close();
    }
  });

  it('rejects a subscription beyond the connection\'s bound', async () => {
    const cable = rawCable(gl.cableUrl, headers(DEMO.pat.api));
    try {
      await cable.next((f) => f.type === 'welcome');
      const ids = [1, 2, 3].map(() => JSON.stringify(graphqlChannel()));
      for (const identifier of ids.slice(0, 2)) {
        cable.send({ command: 'subscribe', identifier });
        await cable.next((f) => f.identifier === identifier && f.type === 'confirm_subscription');
      }
      cable.send(subscribeCommand(JSON.parse(ids[2]!) as Record<string, unknown>));
      expect(await cable.next((f) => f.identifier === ids[2])).toEqual({ identifier: ids[2], type: 'reject_subscription' });
    } finally {
      cable.socket.close();
    }
  });

  it('closes a connection that sends a frame over the size bound (1009)', async () => {
    const cable = rawCable(gl.cableUrl, headers(DEMO.pat.api));
    await cable.next((f) => f.type === 'welcome');
    cable.send({ command: 'subscribe', identifier: JSON.stringify(graphqlChannel({ query: 'x'.repeat(5000) })) });
    await cable.ended;
    expect(cable.closed).toEqual({ code: 1009 });
  });

  it('never writes a token into the log', () => {
    const log = gl.lines.join('\n');
    for (const token of [DEMO.pat.api, DEMO.pat.expired, DEMO.pat.revoked, 'glpat-nobody-knows-this']) expect(log).not.toContain(token);
    expect(log).toContain('cable connection rejected: unauthorized');
  });
});

describe('ActionCable at /-/cable: liveness and shutdown', () => {
  it('drops a peer that answers no WebSocket ping, keeps one that does', async () => {
    const gl = await startCableTestApp({
      overrides: [{ provide: GraphqlSubscriptions, useValue: new FakeGraphqlSubscriptions() }],
      limits: { beatIntervalMs: 20, deadPeerTimeoutMs: 100 },
    });
    const silent = rawCable(gl.cableUrl, { Authorization: `Bearer ${DEMO.pat.api}`, Origin: gl.url }, undefined, { autoPong: false });
    const alive = rawCable(gl.cableUrl, { Authorization: `Bearer ${DEMO.pat.api}`, Origin: gl.url });
    try {
      await silent.ended;
      expect(silent.frames[0]).toEqual({ type: 'welcome' });
      expect(silent.closed?.code).toBe(1006);
      // The live peer outlasted the silent one's timeout and is still pinged.
      await alive.next((f) => f.type === 'ping', alive.frames.length);
      expect(alive.closed).toBeUndefined();
      expect(gl.app.get(CableServer).connectionCount).toBe(1);
    } finally {
      alive.socket.close();
      await gl.close();
    }
  });

  it('tells every connection server_restart (reconnect) when the app shuts down', async () => {
    const gl = await startCableTestApp({ overrides: [{ provide: GraphqlSubscriptions, useValue: new FakeGraphqlSubscriptions() }] });
    const cable = rawCable(gl.cableUrl, { Authorization: `Bearer ${DEMO.pat.api}`, Origin: gl.url });
    await cable.next((f) => f.type === 'welcome');
    await gl.close();
    await cable.ended;
    expect(cable.frames.at(-1)).toEqual({ type: 'disconnect', reason: CABLE_DISCONNECT_REASON.SERVER_RESTART, reconnect: true });
    expect(cable.closed).toEqual({ code: 1000 });
  });
});
