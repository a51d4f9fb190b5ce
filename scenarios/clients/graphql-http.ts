/**
 * GraphQL over HTTP as GitLab's clients send it (POST /api/graphql, a JSON body of `query`,
 * `variables`, `operationName`; GraphQL over HTTP, Current Working Draft, "POST"), through the
 * harness's recording client, so the checks decide every header and byte they send and the
 * exchange lands in the report with credentials redacted.
 */
import { PATH } from '#contracts';
import type { HttpClient, HttpResponse } from '../runner/types.js';

/** One GraphQL request (GraphQL over HTTP draft, "Request Parameters"). */
export interface GraphqlRequest {
  query: string;
  variables?: Record<string, unknown> | null;
  operationName?: string;
}

/** One entry of a response's `errors` (GraphQL spec, "Errors"): `message` is the only required member. */
export interface GraphqlError {
  message: string;
  path?: ReadonlyArray<string | number>;
  extensions?: Record<string, unknown>;
}

/**
 * How the request authenticates: GitLab's `Private-Token` header (the seed's curl calls), an
 * `Authorization: Bearer` token (PAT or OAuth token), or nothing (anonymous).
 */
export type GraphqlAuth = { privateToken: string } | { bearer: string } | 'anonymous';

/** The HTTP answer and, when the body is a GraphQL response (a JSON object), its members. */
export interface GraphqlAnswer {
  res: HttpResponse;
  /** True when the body is a JSON object with `data` or `errors`, the shape of a GraphQL response. */
  isGraphqlResponse: boolean;
  data?: Record<string, unknown> | null;
  errors: GraphqlError[];
}

function authHeaders(auth: GraphqlAuth): Record<string, string> {
  if (auth === 'anonymous') return {};
  return 'privateToken' in auth ? { 'Private-Token': auth.privateToken } : { Authorization: `Bearer ${auth.bearer}` };
}

/** Reads a body as a GraphQL response; `errors` is [] when absent or not an array. */
export function graphqlAnswerOf(res: HttpResponse): GraphqlAnswer {
  const body = res.json;
  const isObject = typeof body === 'object' && body !== null && !Array.isArray(body);
  const obj = (isObject ? body : {}) as { data?: unknown; errors?: unknown };
  const isGraphqlResponse = isObject && ('data' in obj || 'errors' in obj);
  const errors = Array.isArray(obj.errors) ? (obj.errors as GraphqlError[]) : [];
  const answer: GraphqlAnswer = { res, isGraphqlResponse, errors };
  if ('data' in obj) answer.data = (obj.data ?? null) as Record<string, unknown> | null;
  return answer;
}

/** POST /api/graphql with a JSON body (Content-Type: application/json, Accept: application/json). */
export async function postGraphql(http: HttpClient, request: GraphqlRequest, auth: GraphqlAuth, label: string): Promise<GraphqlAnswer> {
  const body: Record<string, unknown> = { query: request.query, variables: request.variables ?? null };
  if (request.operationName) body.operationName = request.operationName;
  const res = await http.request({
    method: 'POST',
    path: PATH.GITLAB_GRAPHQL,
    headers: { Accept: 'application/json', ...authHeaders(auth) },
    json: body,
    label,
  });
  return graphqlAnswerOf(res);
}

/** POST /api/graphql with a raw body, for requests that are not well-formed on purpose (malformed JSON). */
export async function postRawGraphql(http: HttpClient, body: string, auth: GraphqlAuth, label: string): Promise<GraphqlAnswer> {
  const res = await http.request({
    method: 'POST',
    path: PATH.GITLAB_GRAPHQL,
    headers: { Accept: 'application/json', 'Content-Type': 'application/json', ...authHeaders(auth) },
    body,
    label,
  });
  return graphqlAnswerOf(res);
}

/** The value at a path of `data` (`['aiAction', 'requestId']`), or undefined. */
export function dataAt(answer: { data?: Record<string, unknown> | null }, path: readonly string[]): unknown {
  let value: unknown = answer.data;
  for (const key of path) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}
