import type { ScenarioDefinition } from '../runner/types.js';
import { audienceMigration } from './audience-migration/index.js';
import { customEndpointJwt } from './custom-endpoint-jwt/index.js';
import { ideClientOauth } from './ide-client-oauth/index.js';
import { ideControllerJwt } from './ide-controller-jwt/index.js';
import { jwksLifecycle } from './jwks-lifecycle/index.js';
import { oauthPkceWebide } from './oauth-pkce-webide/index.js';
import { oauth21Dcr } from './oauth21-dcr/index.js';
import { scopedGraphql } from './scoped-graphql/index.js';
import { smRelay } from './sm-relay/index.js';

/**
 * The scenario catalogue, in run order. Ids are stable (DESIGN.md, "Scenario catalogue");
 * reports, expectations files and CI filters refer to them.
 */
export const SCENARIOS: ScenarioDefinition[] = [customEndpointJwt, ideControllerJwt, oauthPkceWebide, oauth21Dcr, ideClientOauth, smRelay, audienceMigration, jwksLifecycle, scopedGraphql];
