import { Inject } from '@nestjs/common';
import { Args, Context, ID, Query, Resolver } from '@nestjs/graphql';
import type { GraphqlContext } from '../graphql-context.js';
import { ProjectsService } from '../projects.service.js';
import { ProjectObject } from '../types/project.type.js';
import { userGlobalId } from '../types/scalars.js';
import { UserObject } from '../types/user.type.js';

/** Query's fields served here: currentUser and project(fullPath). No scope checks: see scopes.ts. */
@Resolver()
export class QueryResolver {
  constructor(@Inject(ProjectsService) private readonly projects: ProjectsService) {}

  @Query(() => UserObject, { name: 'currentUser', nullable: true, description: 'Get information about current user.' })
  currentUser(@Context() ctx: GraphqlContext): UserObject | null {
    const user = ctx.actor?.user;
    return user ? { id: userGlobalId(user.id), username: user.username, name: user.name } : null;
  }

  @Query(() => ProjectObject, { name: 'project', nullable: true, description: 'Find a project.' })
  project(
    @Args('fullPath', { type: () => ID, description: 'Full path of the project. For example, `gitlab-org/gitlab-foss`.' }) fullPath: string,
    @Context() ctx: GraphqlContext,
  ): ProjectObject | null {
    const project = this.projects.findVisible(fullPath, ctx.actor?.user);
    return project ? { id: `gid://gitlab/Project/${project.id}`, fullPath: project.fullPath, name: project.name, projectPath: project.fullPath } : null;
  }
}
