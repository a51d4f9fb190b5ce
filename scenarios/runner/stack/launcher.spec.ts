import { mergeProfiles } from '../profile.js';
import { startWaves } from './launcher.js';

const trusting = (issuers?: Array<'gitlab-saas' | 'gitlab-sm'>) =>
  mergeProfiles({ roles: { 'ai-gateway': issuers ? { trusted_issuers: issuers } : {} } });

describe('startWaves', () => {
  it('starts the model and SaaS together, then self-managed and the gateway together', () => {
    expect(startWaves(['ai-gateway', 'gitlab-sm', 'gitlab-saas', 'fake-model'], trusting())).toEqual([
      ['fake-model', 'gitlab-saas'],
      ['gitlab-sm', 'ai-gateway'],
    ]);
  });

  it('starts a gateway that trusts self-managed too after the self-managed instance', () => {
    expect(startWaves(['ai-gateway', 'gitlab-sm', 'gitlab-saas', 'fake-model'], trusting(['gitlab-saas', 'gitlab-sm']))).toEqual([
      ['fake-model', 'gitlab-saas'],
      ['gitlab-sm'],
      ['ai-gateway'],
    ]);
  });

  it('does not wait for a dependency that is not started (an external SaaS)', () => {
    expect(startWaves(['ai-gateway', 'gitlab-sm', 'fake-model'], trusting())).toEqual([['fake-model', 'gitlab-sm'], ['ai-gateway']]);
    expect(startWaves(['gitlab-sm', 'ai-gateway'], trusting())).toEqual([['gitlab-sm', 'ai-gateway']]);
  });
});
