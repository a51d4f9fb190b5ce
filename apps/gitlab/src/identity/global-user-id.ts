import { createHash } from 'node:crypto';

/**
 * The `sub` claim: a stable, opaque global user id, base64url(SHA-256(instance_id + user id)),
 * 43 characters. GitLab derives it the same way in spirit (Gitlab::GlobalAnonymousId.user_id
 * hashes "#{instance_id}#{user_id}"), so the id says nothing about the user yet is the same
 * on every token, and users of different instances never collide.
 */
export function globalUserId(instanceId: string, userId: number): string {
  return createHash('sha256').update(`${instanceId}${userId}`).digest('base64url');
}
