import { Inject, Injectable } from '@nestjs/common';
import type { DemoAccessLevel, DemoInstance } from '#contracts';
import type { HarnessResettable } from '#common';
import type { GitlabUser } from '../identity/identity.service.js';
import { INSTANCE_FIXTURE } from '../instance/di.js';

/** An issue of a project: `id` is instance-wide (gid://gitlab/Issue/<id>), `iid` per project. */
export interface ProjectIssue {
  id: number;
  iid: number;
  title: string;
  description: string | null;
}

export interface Project {
  id: number;
  fullPath: string;
  name: string;
  visibility: 'private' | 'internal' | 'public';
  /** Role by lower-cased username. */
  members: ReadonlyMap<string, DemoAccessLevel>;
  /** By iid, in iid order. */
  issues: Map<number, ProjectIssue>;
}

/** Roles that may update an issue (ProjectPolicy `update_issue`: reporter and above). */
const UPDATERS: ReadonlySet<DemoAccessLevel> = new Set(['reporter', 'developer', 'maintainer', 'owner']);

/**
 * The instance's projects and issues (fixture `projects`, seed 004), read and updated through
 * GraphQL. Visibility follows GitLab's: a public project to everyone, an internal one to any
 * signed-in user, a private one to its members and admins; anything else reads as not found.
 * reset() restores the fixture's issues.
 */
@Injectable()
export class ProjectsService implements HarnessResettable {
  private byPath = new Map<string, Project>();

  constructor(@Inject(INSTANCE_FIXTURE) private readonly instance: DemoInstance) {
    this.reset();
  }

  /** The project at `fullPath` (case-insensitive) if `user` may read it, else undefined. */
  findVisible(fullPath: string, user: GitlabUser | undefined): Project | undefined {
    const project = this.byPath.get(fullPath.toLowerCase());
    return project && this.canRead(project, user) ? project : undefined;
  }

  canRead(project: Project, user: GitlabUser | undefined): boolean {
    if (project.visibility === 'public') return true;
    if (!user) return false;
    if (project.visibility === 'internal' || user.admin) return true;
    return project.members.has(user.username.toLowerCase());
  }

  canUpdateIssues(project: Project, user: GitlabUser | undefined): boolean {
    if (!user) return false;
    if (user.admin) return true;
    const role = project.members.get(user.username.toLowerCase());
    return role !== undefined && UPDATERS.has(role);
  }

  /** Applies the given attributes to an issue; returns the updated issue. */
  updateIssue(issue: ProjectIssue, changes: { title?: string | null; description?: string | null }): ProjectIssue {
    if (typeof changes.title === 'string') issue.title = changes.title;
    if (changes.description !== undefined) issue.description = changes.description;
    return issue;
  }

  reset(): void {
    const byPath = new Map<string, Project>();
    for (const p of this.instance.projects ?? []) {
      const issues = new Map<number, ProjectIssue>();
      for (const i of [...(p.issues ?? [])].sort((a, b) => a.iid - b.iid)) {
        // Global issue ids derive from the project id so they stay stable across resets.
        issues.set(i.iid, { id: p.id * 1000 + i.iid, iid: i.iid, title: i.title, description: i.description ?? null });
      }
      byPath.set(p.full_path.toLowerCase(), {
        id: p.id,
        fullPath: p.full_path,
        name: p.name,
        visibility: p.visibility ?? 'private',
        members: new Map((p.members ?? []).map((m) => [m.username.toLowerCase(), m.access_level])),
        issues,
      });
    }
    this.byPath = byPath;
  }
}
