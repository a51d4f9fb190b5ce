import { Field, ID, Int, ObjectType } from '@nestjs/graphql';

/** An issue (app/graphql/types/issue_type.rb), the fields the emulator serves. */
@ObjectType('Issue')
export class IssueObject {
  @Field(() => ID, { description: 'ID of the issue.' })
  id!: string;

  @Field({ description: 'Internal ID of the issue.' })
  iid!: string;

  @Field({ description: 'Title of the issue.' })
  title!: string;

  @Field(() => String, { nullable: true, description: 'Description of the issue.' })
  description!: string | null;
}

/** The issues of a project (a connection in GitLab; nodes and count here). */
@ObjectType('IssueConnection', { description: 'The connection type for Issue.' })
export class IssueConnectionObject {
  @Field(() => Int, { description: 'Total count of collection.' })
  count!: number;

  @Field(() => [IssueObject], { nullable: 'itemsAndList', description: 'A list of nodes.' })
  nodes!: IssueObject[];
}

/** A project (app/graphql/types/project_type.rb), the fields the emulator serves. */
@ObjectType('Project')
export class ProjectObject {
  @Field(() => ID, { description: 'ID of the project.' })
  id!: string;

  @Field(() => ID, { description: 'Full path of the project.' })
  fullPath!: string;

  @Field({ description: 'Name of the project without the namespace.' })
  name!: string;

  /** The project's path, for the issue resolvers; not a field. */
  projectPath!: string;
}
