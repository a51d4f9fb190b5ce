import { HEADER, PATH } from '#contracts';
import { INSTANCE_ID } from '#common/testing/jwt';

/** A completions request body as an IDE sends it on a keystroke. */
export const BODY = {
  current_file: { file_name: 'src/app.py', content_above_cursor: 'import os\n\ndef read_settings(', content_below_cursor: '\n' },
  prompt_version: 1,
  telemetry: [],
};

/**
 * The headers of a keystroke carrying `bearer` (none when undefined), bound to the demo
 * instance token's claims (realm saas, instance id = its sub). `extra` overrides; an undefined
 * value drops the header.
 */
export function keystrokeHeaders(bearer: string | undefined, extra: Record<string, string | undefined> = {}): Record<string, string> {
  const all: Record<string, string | undefined> = {
    'content-type': 'application/json',
    authorization: bearer === undefined ? undefined : `Bearer ${bearer}`,
    [HEADER.AUTHENTICATION_TYPE]: 'oidc',
    [HEADER.REALM]: 'saas',
    [HEADER.INSTANCE_ID]: INSTANCE_ID,
    ...extra,
  };
  return Object.fromEntries(Object.entries(all).filter((e): e is [string, string] => e[1] !== undefined));
}

/** POST /v2/code/completions; the parsed JSON body when there is one. */
export async function keystroke(gatewayUrl: string, bearer: string, timeoutMs = 10_000): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`${gatewayUrl}${PATH.GATEWAY_COMPLETIONS}`, {
    method: 'POST',
    headers: keystrokeHeaders(bearer),
    body: JSON.stringify(BODY),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: res.status, json };
}

/** The body of GET /monitoring/ready (contracts/openapi/ai-gateway.yaml). */
export interface ReadinessBody {
  status: 'ok' | 'unavailable';
  checks: {
    jwks: {
      status: 'ok' | 'degraded' | 'unavailable';
      reason?: string;
      issuers: Array<{ issuer: string; status: 'ok' | 'stale' | 'unavailable'; keys: number; lastError: string | null }>;
    };
  };
}

/** GET /monitoring/ready. */
export async function readiness(gatewayUrl: string): Promise<{ status: number; json: ReadinessBody }> {
  const res = await fetch(`${gatewayUrl}${PATH.GATEWAY_READY}`, { signal: AbortSignal.timeout(10_000) });
  return { status: res.status, json: (await res.json()) as ReadinessBody };
}
