import {
  type GraphQLFieldResolver,
  GraphQLError,
  type GraphQLObjectType,
  type GraphQLSchema,
  defaultFieldResolver,
  getNamedType,
  isObjectType,
} from 'graphql';
import { GRAPHQL_RESOURCE_ACCESS_ERROR, GRAPHQL_SCOPE } from '#contracts';
import type { GraphqlContext } from './graphql-context.js';
import { fieldScopes, scopesAllow, typeScopes } from './scopes.js';

/**
 * The root types admit `ai_features` besides `api` and `read_api`: the seed 004 MR's "at the top
 * level of GraphQL queries and subscriptions we always allow ai_features scopes"
 * (ee/app/graphql/ee/types/mutation_type.rb and ee/app/graphql/ee/types/subscription_type.rb
 * `self.authorization_scopes`). It opens no field by itself: each field still declares its own.
 */
export const ROOT_TYPE_SCOPES: readonly string[] = [GRAPHQL_SCOPE.API, GRAPHQL_SCOPE.READ_API, GRAPHQL_SCOPE.AI_FEATURES];

/** How a field is gated: every list must admit one of the token's scopes. */
export interface FieldGate {
  /** Scope lists, all of which must allow (root type, field, the object type it returns). */
  permitted: readonly (readonly string[])[];
  /** A mutation or subscription denies with an error; any other field resolves to null. */
  denial: 'error' | 'null';
}

/**
 * The gate of `field` on `parent`, from the declarations on the schema (scopes.ts):
 * - a root field: the root type's scopes (ROOT_TYPE_SCOPES), then the field's own;
 * - any field: its own scopes (`@Scopes`, else the default), then those of the object type it
 *   returns (the type's `authorized?`, base_object.rb); a mutation's payload type defaults to
 *   the mutation's (`api`).
 * Denials follow GitLab: on Mutation a field raises RESOURCE_ACCESS_ERROR (base_field.rb
 * `field_authorized?`: "Fields on MutationType should populate the 'errors' response", and
 * base_mutation.rb `self.authorized?`: "in our mutations we raise, rather than returning a null
 * value"), as does a subscription refused at subscribe time; elsewhere graphql-ruby's
 * `unauthorized_object` answers null without an error.
 */
export function fieldGate(schema: GraphQLSchema, parent: GraphQLObjectType, fieldName: string): FieldGate {
  const field = parent.getFields()[fieldName];
  if (!field) throw new Error(`${parent.name}.${fieldName} is not in the schema`);
  const onMutation = parent === schema.getMutationType();
  const onSubscription = parent === schema.getSubscriptionType();
  const isRoot = onMutation || onSubscription || parent === schema.getQueryType();
  const permitted: (readonly string[])[] = [];
  if (isRoot) permitted.push(ROOT_TYPE_SCOPES);
  permitted.push(fieldScopes(field, onMutation));
  const returned = getNamedType(field.type);
  if (isObjectType(returned)) permitted.push(typeScopes(returned, onMutation));
  return { permitted, denial: onMutation || onSubscription ? 'error' : 'null' };
}

/** Whether a token with `granted` scopes (undefined: not an API user) passes `gate`. */
export function gateAllows(gate: FieldGate, granted: readonly string[] | undefined): boolean {
  return gate.permitted.every((scopes) => scopesAllow(granted, scopes));
}

function guarded<TSource>(gate: FieldGate, inner: GraphQLFieldResolver<TSource, GraphqlContext>): GraphQLFieldResolver<TSource, GraphqlContext> {
  return (source, args, context, info) => {
    if (gateAllows(gate, context?.tokenScopes)) return inner(source, args, context, info);
    if (gate.denial === 'error') throw new GraphQLError(GRAPHQL_RESOURCE_ACCESS_ERROR);
    return null;
  };
}

/**
 * The one execution hook of scope enforcement: wraps the resolver (and, for subscriptions,
 * the subscribe function) of every field of every object type with its gate. Mutates and
 * returns `schema` (GqlModuleOptions.transformSchema); introspection types are left alone.
 */
export function enforceScopes(schema: GraphQLSchema): GraphQLSchema {
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      const gate = fieldGate(schema, type, field.name);
      field.resolve = guarded(gate, (field.resolve ?? defaultFieldResolver) as GraphQLFieldResolver<unknown, GraphqlContext>);
      if (field.subscribe) field.subscribe = guarded(gate, field.subscribe as GraphQLFieldResolver<unknown, GraphqlContext>);
    }
  }
  return schema;
}
