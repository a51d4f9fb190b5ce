import { Module } from '@nestjs/common';
import { ProjectsService } from './projects.service.js';

/** The instance's projects and issues (fixture `projects`), shared by GraphQL and the control API's reset. */
@Module({ providers: [ProjectsService], exports: [ProjectsService] })
export class ProjectsModule {}
