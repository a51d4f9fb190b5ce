/**
 * Action Cable's request forgery protection (rails/rails v8.0.5 actioncable/lib/action_cable/
 * connection/base.rb L228-245 `allow_request_origin?`; server/configuration.rb L29): an upgrade is
 * accepted only when its `Origin` equals `<proto>://<Host header>` (`allow_same_origin_as_host`,
 * on by default) or one of the allowed request origins. No Origin header matches nothing, so a
 * non-browser client must send one: GitLab's language server sends `Origin: <instance URL>` with
 * `Authorization: Bearer` (gitlab-lsp `api.ts` `connectToCable`).
 *
 * GitLab's allowed origins are `gitlab.yml` `action_cable_allowed_origins` (config/initializers/
 * action_cable.rb); the emulator allows the instance URL's origin and the Web IDE editor frame's.
 */
export function allowRequestOrigin(
  origin: string | undefined,
  request: { host: string | undefined; secure: boolean },
  allowedOrigins: readonly string[],
): boolean {
  if (!origin) return false;
  if (request.host && origin === `${request.secure ? 'https' : 'http'}://${request.host}`) return true;
  return allowedOrigins.includes(origin);
}
