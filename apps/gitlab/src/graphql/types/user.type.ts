import { Field, ID, ObjectType } from '@nestjs/graphql';

/** A user (app/graphql/types/user_type.rb), only the fields the emulator serves. */
@ObjectType('UserCore', { description: 'Core represention of a GitLab user.' })
export class UserObject {
  @Field(() => ID, { description: 'Global ID of the user.' })
  id!: string;

  @Field({ description: 'Username of the user. Unique within the instance of GitLab.' })
  username!: string;

  @Field({ description: 'Human-readable name of the user. Returns `****` if the user is a project bot and the requester does not have permission to view the project.' })
  name!: string;
}
