/**
 * Issue 9's "a real ActionCable client that we did not write": Rails' own @rails/actioncable, in
 * Node with the headers GitLab's language server sends on the upgrade, subscribes
 * aiCompletionResponse on GraphqlChannel of the embedded SaaS instance with an `ai_features`
 * token and receives the Duo Chat answer that GitLab got from the AI gateway and the fake model
 * (processes on loopback, nothing stubbed), chunk by chunk, for the requestId its aiAction
 * mutation returned.
 */
import { CABLE_PATH, GRAPHQL_CHANNEL, PATH } from '#contracts';
import { AI_COMPLETION_SUBSCRIPTION, completionsOf, railsConsumer, subscribe } from '../apps/gitlab/src/cable/testing/cable-clients.js';
import type { RunningStack } from '../scenarios/runner/stack/launcher.js';
import { demoCredentials, roleUrl, startEmbedded } from './support.js';


let stack: RunningStack;
beforeAll(async () => {
  stack = await startEmbedded(['fake-model', 'gitlab-saas', 'ai-gateway'], { profile: { roles: { 'ai-gateway': { trusted_issuers: ['gitlab-saas'] } } } });
}, 60_000);
afterAll(() => stack?.stop());

async function graphql(gitlab: string, token: string, query: string): Promise<Record<string, any>> {
  const res = await fetch(`${gitlab}${PATH.GITLAB_GRAPHQL}`, { method: 'POST', headers: { 'content-type': 'application/json', 'private-token': token }, body: JSON.stringify({ query }) });
  expect(res.status).toBe(200);
  return (await res.json()) as Record<string, any>;
}

it("streams GitLab's Duo Chat answer, from the gateway and the model, to Rails' ActionCable client", async () => {
  const gitlab = roleUrl(stack, 'gitlab-saas');
  const pats = demoCredentials('gitlab-saas').personal_access_tokens!;
  const userId = (await graphql(gitlab, pats.api!, '{ currentUser { id } }')).data.currentUser.id as string;
  const consumer = railsConsumer(`${gitlab.replace(/^http/, 'ws')}${CABLE_PATH}`, { Authorization: `Bearer ${pats.ai_features}`, Origin: gitlab });
  try {
    const clientSubscriptionId = `rails-client-${Date.now()}`;
    const sub = subscribe(consumer, { channel: GRAPHQL_CHANNEL, query: AI_COMPLETION_SUBSCRIPTION, variables: { userId, clientSubscriptionId, aiAction: 'CHAT' }, operationName: 'aiCompletionResponse', nonce: clientSubscriptionId });
    await sub.until((e) => e.some((x) => x.kind === 'connected' || x.kind === 'rejected'));
    expect(sub.events.some((x) => x.kind === 'connected')).toBe(true);

    const started = await graphql(gitlab, pats.ai_features!, `mutation { aiAction(input: {chat: {content: "Hello"}, clientSubscriptionId: "${clientSubscriptionId}"}) { requestId errors } }`);
    expect(started.data.aiAction.errors).toEqual([]);
    const requestId = started.data.aiAction.requestId as string;

    const completions = () => completionsOf(sub);
    await sub.until(() => completions().some((c) => c.chunkId === null));
    const chunks = completions().filter((c) => c.chunkId !== null);
    const final = completions().find((c) => c.chunkId === null)!;
    // How many chunks depends on how the bytes arrive (the gateway streams raw text, as GitLab's
    // does); at least one comes before the final message.
    expect(chunks.length).toBeGreaterThan(0);
    expect(chunks.map((c) => c.chunkId)).toEqual(chunks.map((_, i) => i + 1));
    expect([...chunks, final].every((c) => c.requestId === requestId && c.role === 'ASSISTANT' && c.errors.length === 0)).toBe(true);
    // The model quotes the prompt; the chunks join to the final message.
    expect(final.content).toContain('Hello');
    expect(chunks.map((c) => c.content).join('')).toBe(final.content);
  } finally {
    consumer.disconnect();
  }
}, 60_000);
