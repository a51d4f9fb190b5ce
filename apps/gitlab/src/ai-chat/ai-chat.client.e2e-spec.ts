import type { IncomingHttpHeaders } from 'node:http';
import { AUDIENCE, DUO_CHAT_TOKEN_SCOPES, GITLAB_REALM, PATH } from '#contracts';
import { startTestApp, type TestApp } from '#common/testing/app';
import { decodeJwt } from '#common/testing/jwt';
import { listenOnLoopback, readBody, type LoopbackServer } from '#common/testing/loopback';
import { gitlab } from '../app.js';
import type { GitlabConfig } from '../config.js';
import { IdentityService } from '../identity/identity.service.js';
import { InstanceInfo } from '../instance/instance-info.js';
import { AiChatClient, AiChatError } from './ai-chat.client.js';

/**
 * What AiChatClient puts on the wire, seen by a stand-in gateway on loopback (the real gateway
 * meets it in test/ai-chat-path.e2e-spec.ts): GitLab's path, headers, token and body.
 */
let gateway: LoopbackServer;
let seen: { url: string | undefined; headers: IncomingHttpHeaders; body: string } | undefined;
let answer: (res: import('node:http').ServerResponse) => void = (res) => {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  res.write('Hello ');
  res.end('world');
};
let gl: TestApp<GitlabConfig>;

beforeAll(async () => {
  gateway = await listenOnLoopback((req, res) => {
    void readBody(req).then((body) => {
      seen = { url: req.url, headers: req.headers, body };
      answer(res);
    });
  });
  gl = await startTestApp(gitlab, { AI_GATEWAY_URL: gateway.url });
});

afterAll(async () => {
  await gl?.close();
  await gateway?.close();
});

describe('AiChatClient on the wire', () => {
  it("posts GitLab's chat request with an instance token carrying duo_chat and the bound headers", async () => {
    const user = gl.app.get(IdentityService).findUserByUsername('saas-developer')!;
    const chunks: string[] = [];
    for await (const chunk of gl.app.get(AiChatClient).stream({ user, content: 'Hello?', requestId: 'req-wire' })) chunks.push(chunk);
    expect(chunks.join('')).toBe('Hello world');

    const instance = gl.app.get(InstanceInfo);
    expect(seen!.url).toBe(PATH.GATEWAY_CHAT_AGENT);
    const { headers } = seen!;
    expect(headers['x-gitlab-authentication-type']).toBe('oidc');
    expect(headers['x-gitlab-realm']).toBe(GITLAB_REALM.SAAS);
    expect(headers['x-gitlab-instance-id']).toBe(instance.instanceId);
    expect(headers['x-gitlab-global-user-id']).toBe(user.globalId);
    expect(headers['x-gitlab-host-name']).toBe('127.0.0.1');
    expect(headers['x-request-id']).toBe('req-wire');

    const { header, claims } = decodeJwt(headers.authorization!.replace(/^Bearer /, ''));
    expect(header).toMatchObject({ typ: 'JWT', alg: 'RS256' });
    expect(typeof header.kid).toBe('string');
    expect(claims).toMatchObject({ aud: AUDIENCE.AI_GATEWAY, iss: instance.url, sub: instance.instanceId, gitlab_realm: GITLAB_REALM.SAAS, scopes: [...DUO_CHAT_TOKEN_SCOPES] });
    expect((claims.exp as number) - (claims.iat as number)).toBe(3600);

    expect(JSON.parse(seen!.body)).toEqual({
      prompt_components: [
        { type: 'prompt', metadata: { source: 'GitLab EE', version: expect.any(String) }, payload: { content: 'Hello?', provider: 'anthropic', model: expect.any(String) } },
      ],
      stream: true,
    });
  });

  it('throws a user-safe error, without the body the gateway sent, on 403', async () => {
    answer = (res) => {
      res.writeHead(403, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ detail: 'Unauthorized to access duo_chat' }));
    };
    const user = gl.app.get(IdentityService).findUserByUsername('saas-developer')!;
    let error: unknown;
    try {
      for await (const _ of gl.app.get(AiChatClient).stream({ user, content: 'Hi', requestId: 'req-403' })) void _;
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(AiChatError);
    expect((error as AiChatError).message).toBe('The AI gateway refused the chat request (HTTP 403)');
  });

  it("throws when the gateway's answer is cut off mid-stream", async () => {
    answer = (res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('Hello ');
      setImmediate(() => res.destroy());
    };
    const user = gl.app.get(IdentityService).findUserByUsername('saas-developer')!;
    const chunks: string[] = [];
    let error: unknown;
    try {
      for await (const chunk of gl.app.get(AiChatClient).stream({ user, content: 'Hi', requestId: 'req-cut' })) chunks.push(chunk);
    } catch (e) {
      error = e;
    }
    expect(chunks).toEqual(['Hello ']);
    expect((error as AiChatError).message).toBe("The AI gateway's answer was cut off");
  });
});
