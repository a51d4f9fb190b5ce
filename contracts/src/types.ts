/**
 * TypeScript shapes of the contract documents. The JSON Schemas in contracts/schemas are the
 * source of truth; these types mirror them for the compiler, and schemas.spec.ts keeps the
 * two in step by validating typed samples.
 */
import type { GitlabRealm } from './constants.js';

export interface AiAccessTokenClaims {
  jti: string;
  aud: string | string[];
  iss: string;
  iat: number;
  nbf: number;
  exp: number;
  sub?: string;
  gitlab_realm?: GitlabRealm;
  gitlab_instance_id?: string;
  scopes?: string[];
  [extra: string]: unknown;
}

export interface AiAccessTokenHeader {
  alg: string;
  typ?: string;
  kid?: string;
  [extra: string]: unknown;
}

export interface CodeSuggestionsTokenResponse {
  access_token: string;
  expires_in: number;
  created_at: number;
}

export interface RsaPublicJwk {
  kty: 'RSA';
  kid: string;
  e: string;
  n: string;
  use?: 'sig';
  alg?: 'RS256';
}

export interface Jwks {
  keys: RsaPublicJwk[];
}

export interface OpenIdConfiguration {
  issuer: string;
  jwks_uri: string;
  [field: string]: unknown;
}

export interface GitlabMessageError {
  message: string;
}

export interface InsufficientScopeError {
  error: 'insufficient_scope';
  error_description: string;
  scope: string;
}

export interface GatewayAuthError {
  error: string;
}

export interface GatewayDetailError {
  detail: string | Array<{ loc: Array<string | number>; msg: string; type: string }>;
}

export interface CompletionsRequest {
  project_path?: string;
  project_id?: number;
  current_file: {
    file_name: string;
    content_above_cursor: string;
    content_below_cursor?: string;
    language_identifier?: string;
  };
  prompt_version?: number;
  model_provider?: string;
  model_name?: string;
  telemetry?: Array<Record<string, unknown>>;
  stream?: boolean;
}

export interface CompletionsResponse {
  id: string;
  model: { engine: string; name: string; lang: string | null };
  object: 'text_completion';
  created: number;
  choices: Array<{ text: string; index: number; finish_reason: string }>;
}

export interface FakeModelRequest {
  prompt: string;
  suffix?: string;
  language?: string;
  model?: string;
  max_tokens?: number;
}

export interface FakeModelResponse {
  id: string;
  model: string;
  created: number;
  choices: Array<{ text: string; index: number; finish_reason: 'stop' | 'length' }>;
}

/** A chat message (ai_gateway models/base_chat.py L17-25 @823ced4678f5). */
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** contracts/schemas/chat-request.schema.json: POST /v1/chat/agent at the gateway. */
export interface ChatRequest {
  prompt_components: [
    {
      type: string;
      metadata: { source: string; version: string };
      payload: {
        content: string | ChatMessage[];
        provider?: 'anthropic' | 'litellm' | null;
        model?: string | null;
        params?: { stop_sequences?: string[]; temperature?: number; max_tokens_to_sample?: number } | null;
        model_endpoint?: string | null;
        model_api_key?: string | null;
        model_identifier?: string | null;
      };
    },
  ];
  stream?: boolean | null;
}

/** contracts/schemas/chat-response.schema.json: the gateway's answer when stream is not true. */
export interface ChatResponse {
  response: string;
  metadata: { provider: string; model: string; timestamp: number };
}

/** contracts/schemas/fake-model-chat-request.schema.json */
export interface FakeModelChatRequest {
  messages: ChatMessage[];
  model?: string;
  max_tokens?: number;
}

/** contracts/schemas/fake-model-chat-event.schema.json: one NDJSON line of the model's chat stream. */
export type FakeModelChatEvent =
  | { type: 'final_answer_delta'; data: { text: string } }
  | { type: 'done'; data: { model: string; finish_reason: 'stop' | 'length' } };

/** contracts/schemas/demo-fixture.schema.json */
export interface DemoPersonalAccessToken {
  name: string;
  token: string;
  scopes: string[];
  revoked?: boolean;
  expires_at?: string;
}

export interface DemoUser {
  id: number;
  username: string;
  name?: string;
  password: string;
  admin?: boolean;
  groups?: string[];
  feature_flags?: string[];
  personal_access_tokens?: DemoPersonalAccessToken[];
}

export interface DemoGroup {
  path: string;
  code_suggestions_enabled?: boolean;
}

/** An OAuth application of the demo fixture (Doorkeeper::Application). */
export interface DemoOAuthApplication {
  client_id: string;
  name: string;
  /** Confidential applications only. */
  secret?: string;
  confidential: boolean;
  /** GitLab's trusted flag: no consent screen. */
  trusted?: boolean;
  /** Exact redirect URIs; a path starting with '/' is relative to the instance URL. */
  redirect_uris: string[];
  scopes: string[];
}

export interface DemoInstance {
  instance_id: string;
  feature_flags?: Record<string, boolean>;
  settings?: { code_suggestions_enabled?: boolean; ai_access_token?: string | null };
  groups?: DemoGroup[];
  users: DemoUser[];
  oauth_applications?: DemoOAuthApplication[];
  /** Projects the GraphQL API serves (seed 004). */
  projects?: DemoProject[];
}

/** A role of a project member (GitLab's Gitlab::Access levels by name). */
export type DemoAccessLevel = 'guest' | 'reporter' | 'developer' | 'maintainer' | 'owner';

/** A project of the demo data: its members by username, its issues by iid. */
export interface DemoProject {
  id: number;
  /** `namespace/project`, as project(fullPath:) takes it; GitLab matches it case-insensitively. */
  full_path: string;
  name: string;
  visibility?: 'private' | 'internal' | 'public';
  members?: { username: string; access_level: DemoAccessLevel }[];
  issues?: { iid: number; title: string; description?: string | null }[];
}

export interface DemoFixture {
  saas: DemoInstance;
  'self-managed'?: DemoInstance;
}

/** One entry of GET /-/harness/requests, the harness control API's record of answered requests. */
export interface LoggedRequest {
  /** ISO 8601 time the answer was sent. */
  at: string;
  method: string;
  /** Path and query, credential parameters redacted. */
  path: string;
  status: number;
  durationMs: number;
  userAgent?: string;
  /** W3C trace id of the request's `traceparent`: the harness gives each check its own. */
  traceId?: string;
  /** Who sent it, as its `tracestate` member `ai-auth-harness=<role>` says (an emulator's outbound call). */
  from?: string;
}
