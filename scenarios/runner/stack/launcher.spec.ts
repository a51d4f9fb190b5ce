import { startWaves } from './launcher.js';

describe('startWaves', () => {
  it('starts the model and SaaS together, then self-managed and the gateway together', () => {
    expect(startWaves(['ai-gateway', 'gitlab-sm', 'gitlab-saas', 'fake-model'])).toEqual([
      ['fake-model', 'gitlab-saas'],
      ['gitlab-sm', 'ai-gateway'],
    ]);
  });

  it('does not wait for a dependency that is not started (an external SaaS)', () => {
    expect(startWaves(['ai-gateway', 'gitlab-sm', 'fake-model'])).toEqual([['fake-model', 'gitlab-sm'], ['ai-gateway']]);
    expect(startWaves(['gitlab-sm', 'ai-gateway'])).toEqual([['gitlab-sm', 'ai-gateway']]);
  });
});
