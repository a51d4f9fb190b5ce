import { STATUS_CODES } from 'node:http';
import { ContractHttpException, type ErrorShape } from '#common';

/**
 * GitLab's REST error wording (Grape's render_api_error!): `{"message":"404 Not Found"}`,
 * and `{"message":"400 Bad request - <reason>"}` for bad input. Framework errors (unknown
 * route, malformed JSON, body too large) leave in this shape too.
 */
export const gitlabErrorShape: ErrorShape = (status, reason) =>
  status === 400 ? { message: `400 Bad request - ${reason}` } : { message: `${status} ${STATUS_CODES[status] ?? 'Error'}` };

/** 400 `{"message":"400 Bad request - <reason>"}` (Grape's bad_request!). */
export function badRequest(reason: string): ContractHttpException {
  return new ContractHttpException({ message: `400 Bad request - ${reason}` }, 400);
}

/**
 * 404 `{"message":"404 <Resource> Not Found"}` (Grape's not_found!(resource)), with ` - <reason>`
 * when the caller named what is missing (the harness control API does).
 */
export function notFound(resource?: string, reason?: string): ContractHttpException {
  const message = resource ? `404 ${resource} Not Found` : '404 Not Found';
  return new ContractHttpException({ message: reason ? `${message} - ${reason}` : message }, 404);
}

/** 409 `{"message":"409 Conflict - <reason>"}`. */
export function conflict(reason: string): ContractHttpException {
  return new ContractHttpException({ message: `409 Conflict - ${reason}` }, 409);
}
