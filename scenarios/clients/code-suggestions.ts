/**
 * What an IDE sends to the AI gateway on a keystroke (seed 000 option 2, step 4): the JWT as a
 * Bearer token, the OIDC authentication type, and the identity headers the gateway binds to
 * the token's claims. The IDE reads those values from the token it was given (a JWT's payload
 * is readable by its holder), as GitLab's own clients forward what GitLab told them.
 */
import { AUTHENTICATION_TYPE_OIDC, HEADER, PATH, boundHeaderValues, type AiAccessTokenClaims, type CompletionsRequest } from '#contracts';
import type { HttpClient, HttpResponse } from '../runner/types.js';

export function gatewayHeaders(token: string, claims: Partial<AiAccessTokenClaims>): Record<string, string> {
  return {
    [HEADER.AUTHORIZATION]: `Bearer ${token}`,
    [HEADER.AUTHENTICATION_TYPE]: AUTHENTICATION_TYPE_OIDC,
    ...boundHeaderValues(claims),
  };
}

/** A keystroke's completion request: the file around the cursor. */
export function completionRequest(contentAboveCursor = 'def fibonacci(n):\n    ', fileName = 'fib.py'): CompletionsRequest {
  return {
    current_file: {
      file_name: fileName,
      content_above_cursor: contentAboveCursor,
      content_below_cursor: '\n',
    },
    prompt_version: 1,
    telemetry: [],
    stream: false,
  };
}

/** One keystroke: the completion request with the token and the headers bound to its claims. */
export function sendKeystroke(
  gateway: HttpClient,
  token: string,
  claims: Partial<AiAccessTokenClaims>,
  label: string,
  path: string = PATH.GATEWAY_COMPLETIONS,
): Promise<HttpResponse> {
  return gateway.request({ method: 'POST', path, headers: gatewayHeaders(token, claims), json: completionRequest(), label });
}
