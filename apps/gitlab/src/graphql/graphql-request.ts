import { ContractHttpException } from '#common';
import { GRAPHQL_CONTROLLER_ERROR, GRAPHQL_LIMITS } from '#contracts';
import type { GraphqlRequest } from './graphql-executor.service.js';

/** What GraphqlController reads from a request: one operation, or a batch (`_json`). */
export type GraphqlHttpRequest = { batch: false; request: GraphqlRequest } | { batch: true; requests: GraphqlRequest[] };

/** The message of a 422 for variables that are not a JSON object (Gitlab::Graphql::Variables::Invalid). */
export const INVALID_VARIABLES = 'Variables must be a JSON object';

/** 422 `{"errors":[{"message": ...}]}`: the controller's answer to a request it cannot run (`render_error`). */
export function unprocessable(message: string): ContractHttpException {
  return new ContractHttpException({ errors: [{ message }] }, 422);
}

/**
 * Variables as Gitlab::Graphql::Variables accepts them: absent, null or "" -> none; an object;
 * or a string holding a JSON object. Anything else -> 422 (the message never echoes the input).
 */
export function readVariables(raw: unknown): Record<string, unknown> | null {
  if (raw === undefined || raw === null || raw === '') return null;
  let value = raw;
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw);
    } catch {
      throw unprocessable(INVALID_VARIABLES);
    }
    if (value === null) return null;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw unprocessable(INVALID_VARIABLES);
  return value as Record<string, unknown>;
}

function readOne(params: unknown): GraphqlRequest {
  const p = params && typeof params === 'object' && !Array.isArray(params) ? (params as Record<string, unknown>) : {};
  return {
    query: typeof p.query === 'string' ? p.query : '',
    variables: readVariables(p.variables),
    operationName: typeof p.operationName === 'string' && p.operationName !== '' ? p.operationName : null,
  };
}

/**
 * The GraphQL request(s) of a POST body or GET query string: an Apollo-style batch when the body
 * is an array (Rails' `_json`), else one operation. The summed query text may not exceed
 * MAX_QUERY_SIZE characters (`limit_query_size` -> 422 "Query too large").
 */
export function readGraphqlRequest(params: unknown): GraphqlHttpRequest {
  const parsed: GraphqlHttpRequest = Array.isArray(params)
    ? { batch: true, requests: params.map(readOne) }
    : { batch: false, request: readOne(params) };
  const requests = parsed.batch ? parsed.requests : [parsed.request];
  const size = requests.reduce((sum, r) => sum + r.query.length, 0);
  if (size > GRAPHQL_LIMITS.MAX_QUERY_SIZE) throw unprocessable(GRAPHQL_CONTROLLER_ERROR.QUERY_TOO_LARGE);
  return parsed;
}
