import type { ScenarioDefinition } from '../../runner/types.js';
import { discoveryChecks } from './discovery.checks.js';
import { gatewayRejectionChecks } from './gateway-rejections.checks.js';
import { issuanceChecks } from './issuance.checks.js';
import { keystrokeChecks } from './keystroke.checks.js';
import type { CustomEndpointState } from './state.js';

/**
 * Seed 000, option 2: the Web IDE gets a JWT from GitLab's custom endpoint through its
 * session; the AI gateway verifies it against a cached JWKS on every keystroke.
 */
export const customEndpointJwt: ScenarioDefinition = {
  id: 'custom-endpoint-jwt',
  title: 'Custom API endpoint issues a JWT; the gateway verifies it against a cached JWKS on every keystroke',
  seeds: ['000'],
  diagram: 'custom-endpoint-jwt.mmd',
  roles: ['gitlab-saas', 'ai-gateway', 'fake-model'],
  async run(ctx) {
    const state: CustomEndpointState = {};
    await discoveryChecks(ctx, state);
    await issuanceChecks(ctx, state);
    await keystrokeChecks(ctx, state);
    await gatewayRejectionChecks(ctx, state);
  },
};
