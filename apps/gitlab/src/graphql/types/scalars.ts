import { GraphQLError, GraphQLScalarType, Kind } from 'graphql';

/** gid://gitlab/User/<id>, GitLab's `Types::GlobalIDType[::User]` (named `UserID`). */
const USER_GID = /^gid:\/\/gitlab\/User\/(\d+)$/;

/** A user's global ID as GitLab writes it. */
export function userGlobalId(id: number): string {
  return `gid://gitlab/User/${id}`;
}

function parseUserId(value: unknown): string {
  if (typeof value !== 'string' || !USER_GID.test(value)) {
    // Gitlab::Graphql::Errors::ArgumentError's wording (GitlabSchema.parse_gid).
    throw new GraphQLError(`${String(value)} is not a valid GitLab ID.`);
  }
  return value;
}

/** `UserID`: a global ID of a User, as a string. */
export const UserIdScalar = new GraphQLScalarType<string, string>({
  name: 'UserID',
  description: 'A `UserID` is a global ID. It is encoded as a string.\n\nAn example `UserID` is: `"gid://gitlab/User/1"`.',
  serialize: (value) => String(value),
  parseValue: parseUserId,
  parseLiteral: (ast) => parseUserId(ast.kind === Kind.STRING ? ast.value : undefined),
});

/** `Time`: an ISO 8601 date-time, as GitLab's Types::TimeType serializes it. */
export const TimeScalar = new GraphQLScalarType<string, string>({
  name: 'Time',
  description: 'Time represented in ISO 8601.\n\nFor example: "2021-03-09T14:58:50+00:00".\n\nSee `https://www.iso.org/iso-8601-date-and-time-format.html`.',
  serialize: (value) => (value instanceof Date ? value.toISOString() : String(value)),
  parseValue: (value) => {
    if (typeof value !== 'string' || Number.isNaN(Date.parse(value))) throw new GraphQLError(`${String(value)} is not a valid Time`);
    return value;
  },
  parseLiteral: (ast) => {
    if (ast.kind !== Kind.STRING || Number.isNaN(Date.parse(ast.value))) throw new GraphQLError('Time must be an ISO 8601 string');
    return ast.value;
  },
});
