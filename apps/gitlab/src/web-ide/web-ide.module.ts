import { Module } from '@nestjs/common';
import { AiAccessModule } from '../ai-access/ai-access.module.js';
import { IdentityModule } from '../identity/identity.module.js';
import { SessionsCoreModule } from '../sessions/sessions-core.module.js';
import { SettingsCoreModule } from '../settings/settings-core.module.js';
import { IdeTokenIssuer } from './ide-token-issuer.service.js';
import { IdeTokensController } from './ide-tokens.controller.js';
import { WebIdeController } from './web-ide.controller.js';
import { WebIdeSettings } from './web-ide-settings.js';
import { WebSession } from './web-session.js';

/** The Web IDE (seed 000): the host page (mediator), the editor frame, and the IDE controller's token endpoint (option 3). */
@Module({
  imports: [IdentityModule, SessionsCoreModule, SettingsCoreModule, AiAccessModule],
  controllers: [WebIdeController, IdeTokensController],
  providers: [WebIdeSettings, WebSession, IdeTokenIssuer],
})
export class WebIdeModule {}
