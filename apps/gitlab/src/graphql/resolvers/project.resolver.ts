import { Inject } from '@nestjs/common';
import { Args, Context, Parent, ResolveField, Resolver } from '@nestjs/graphql';
import type { GraphqlContext } from '../graphql-context.js';
import { type ProjectIssue, ProjectsService } from '../projects.service.js';
import { IssueConnectionObject, IssueObject, ProjectObject } from '../types/project.type.js';

/** An issue as the Issue type serves it. */
export function issueObject(issue: ProjectIssue): IssueObject {
  return { id: `gid://gitlab/Issue/${issue.id}`, iid: String(issue.iid), title: issue.title, description: issue.description };
}

/** Project.issues and Project.issue(iid). */
@Resolver(() => ProjectObject)
export class ProjectResolver {
  constructor(@Inject(ProjectsService) private readonly projects: ProjectsService) {}

  @ResolveField('issues', () => IssueConnectionObject, { nullable: true, description: 'Issues of the project.' })
  issues(
    @Parent() parent: ProjectObject,
    @Args('iid', { type: () => String, nullable: true, description: 'IID of the issue. For example, "1".' }) iid: string | null | undefined,
    @Context() ctx: GraphqlContext,
  ): IssueConnectionObject | null {
    const project = this.projects.findVisible(parent.projectPath, ctx.actor?.user);
    if (!project) return null;
    const all = [...project.issues.values()].filter((i) => iid === undefined || iid === null || String(i.iid) === iid);
    return { count: all.length, nodes: all.map(issueObject) };
  }

  @ResolveField('issue', () => IssueObject, { nullable: true, description: 'A single issue of the project.' })
  issue(
    @Parent() parent: ProjectObject,
    @Args('iid', { type: () => String, description: 'IID of the issue. For example, "1".' }) iid: string,
    @Context() ctx: GraphqlContext,
  ): IssueObject | null {
    const project = this.projects.findVisible(parent.projectPath, ctx.actor?.user);
    const issue = project && /^\d+$/.test(iid) ? project.issues.get(Number(iid)) : undefined;
    return issue ? issueObject(issue) : null;
  }
}
