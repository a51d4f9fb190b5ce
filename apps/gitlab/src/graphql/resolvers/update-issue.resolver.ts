import { Inject } from '@nestjs/common';
import { Args, Context, Mutation, Resolver } from '@nestjs/graphql';
import type { GraphqlContext } from '../graphql-context.js';
import { ProjectsService } from '../projects.service.js';
import { UpdateIssueInput, UpdateIssuePayload } from '../types/update-issue.types.js';
import { resourceNotAvailable } from './errors.js';
import { issueObject } from './project.resolver.js';

/**
 * updateIssue (app/graphql/mutations/issues/update.rb): no scope declaration, so a mutation's
 * default, `api` only. A project or issue the user cannot see, or may not update, is
 * RESOURCE_ACCESS_ERROR (`authorized_find!` with `authorize :update_issue`).
 */
@Resolver()
export class UpdateIssueResolver {
  constructor(@Inject(ProjectsService) private readonly projects: ProjectsService) {}

  @Mutation(() => UpdateIssuePayload, { name: 'updateIssue', nullable: true, description: 'Updates an issue.' })
  updateIssue(@Args('input') input: UpdateIssueInput, @Context() ctx: GraphqlContext): UpdateIssuePayload {
    const user = ctx.actor?.user;
    const project = this.projects.findVisible(input.projectPath, user);
    const issue = project && /^\d+$/.test(input.iid) ? project.issues.get(Number(input.iid)) : undefined;
    if (!project || !issue || !this.projects.canUpdateIssues(project, user)) throw resourceNotAvailable();
    const updated = this.projects.updateIssue(issue, { title: input.title, description: input.description });
    return { clientMutationId: input.clientMutationId ?? null, errors: [], issue: issueObject(updated) };
  }
}
