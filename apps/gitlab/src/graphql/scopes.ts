import { Extensions } from '@nestjs/graphql';
import { GRAPHQL_SCOPE } from '#contracts';
import type { GraphQLField, GraphQLNamedType } from 'graphql';

/**
 * Scope declarations of the GraphQL schema, GitLab's `scopes:` / `authorization_scopes` as a
 * decorator. The access token scopes that may use a type, field or mutation are declared once,
 * on the schema; one execution hook (scope-enforcement.ts) reads them. Resolvers never check.
 *
 * GitLab's defaults, mirrored here:
 * - a type: `api`, `read_api` (app/graphql/types/base_object.rb `self.authorization_scopes`);
 * - a field: `api`, `read_api` (app/graphql/types/base_field.rb `initialize`:
 *   `@scopes = Array.wrap(kwargs.delete(:scopes) || %i[api read_api])`);
 * - a mutation: `api` only (lib/gitlab/graphql/mount_mutation.rb `custom_kwargs[:scopes] ||= [:api]`,
 *   app/graphql/mutations/base_mutation.rb `self.authorization_scopes` = `[:api]`).
 * A declaration replaces the default (GitLab's overrides list the scopes in full, e.g.
 * ee/app/graphql/types/ai/message_type.rb `scopes: [:api, :read_api, :ai_features]`).
 */

/** Where a type's or field's declaration is kept: graphql-js `extensions`. */
export const SCOPES_EXTENSION = 'gitlabScopes';

/** Scopes of a type or field without a declaration. */
export const DEFAULT_READ_SCOPES: readonly string[] = [GRAPHQL_SCOPE.API, GRAPHQL_SCOPE.READ_API];
/** Scopes of a mutation (a field of Mutation) and of its payload type without a declaration. */
export const DEFAULT_MUTATION_SCOPES: readonly string[] = [GRAPHQL_SCOPE.API];

/**
 * Declares the access token scopes allowed to use a type (class), a field (property or
 * @ResolveField method) or a mutation/query/subscription (resolver method). Replaces the
 * default for that element only: a type's declaration does not widen its fields.
 */
export function Scopes(...scopes: string[]): ClassDecorator & MethodDecorator & PropertyDecorator {
  if (scopes.length === 0) throw new Error('@Scopes() needs at least one scope');
  return Extensions({ [SCOPES_EXTENSION]: Object.freeze([...scopes]) });
}

/** A declaration read back from the schema, or undefined when there is none. */
function declared(element: { extensions?: Readonly<Record<string, unknown>> | null }): readonly string[] | undefined {
  const value = element.extensions?.[SCOPES_EXTENSION];
  return Array.isArray(value) ? (value as readonly string[]) : undefined;
}

/** The scopes that may see objects of `type` (a root type, an object type, a payload type). */
export function typeScopes(type: GraphQLNamedType, isMutationPayload = false): readonly string[] {
  return declared(type) ?? (isMutationPayload ? DEFAULT_MUTATION_SCOPES : DEFAULT_READ_SCOPES);
}

/** The scopes that may use `field` of its parent type; `onMutationRoot` for mutations. */
export function fieldScopes(field: GraphQLField<unknown, unknown>, onMutationRoot: boolean): readonly string[] {
  return declared(field) ?? (onMutationRoot ? DEFAULT_MUTATION_SCOPES : DEFAULT_READ_SCOPES);
}

/**
 * Gitlab::Auth::ScopeValidator#valid_for?: true for a session or an anonymous request
 * (`granted` undefined: not an API user), else when the token has one of the permitted scopes.
 */
export function scopesAllow(granted: readonly string[] | undefined, permitted: readonly string[]): boolean {
  if (granted === undefined) return true;
  if (permitted.length === 0) return true;
  return granted.some((s) => permitted.includes(s));
}
