import { AiTokenSettings } from './ai-token-settings.service.js';

describe('AiTokenSettings', () => {
  it('shows the shape with its audience and kid choice', () => {
    expect(new AiTokenSettings({ aiTokenShape: 'cloud-connector' }).get()).toEqual({ shape: 'cloud-connector', audience: 'gitlab-ai-gateway', includeKid: true });
    expect(new AiTokenSettings({ aiTokenShape: 'seed-000' }).get()).toEqual({ shape: 'seed-000', audience: 'gitlab-code-suggestions', includeKid: false });
    expect(new AiTokenSettings({ aiTokenShape: 'seed-002' }).get()).toEqual({ shape: 'seed-002', audience: 'gitlab-ai-gateway', includeKid: false });
    expect(new AiTokenSettings({ aiTokenShape: 'seed-002', aiTokenIncludeKid: true }).get().includeKid).toBe(true);
  });

  it('overrides the kid choice until null restores the shape\'s', () => {
    const settings = new AiTokenSettings({ aiTokenShape: 'cloud-connector' });
    expect(settings.update({ includeKid: false })).toMatchObject({ shape: 'cloud-connector', includeKid: false });
    expect(settings.update({}).includeKid).toBe(false);
    expect(settings.update({ includeKid: null }).includeKid).toBe(true);
  });

  it('starts a new shape from its own kid choice unless the same change overrides it', () => {
    const settings = new AiTokenSettings({ aiTokenShape: 'cloud-connector', aiTokenIncludeKid: false });
    expect(settings.update({ shape: 'seed-002' })).toEqual({ shape: 'seed-002', audience: 'gitlab-ai-gateway', includeKid: false });
    expect(settings.update({ shape: 'cloud-connector' }).includeKid).toBe(true);
    expect(settings.update({ shape: 'seed-000', includeKid: true })).toEqual({ shape: 'seed-000', audience: 'gitlab-code-suggestions', includeKid: true });
    expect(settings.update({ shape: 'seed-000', includeKid: null }).includeKid).toBe(false);
  });

  it('resets to the configured shape and kid choice', () => {
    const settings = new AiTokenSettings({ aiTokenShape: 'seed-002', aiTokenIncludeKid: true });
    settings.update({ shape: 'seed-000', includeKid: false });
    settings.reset();
    expect(settings.get()).toEqual({ shape: 'seed-002', audience: 'gitlab-ai-gateway', includeKid: true });
  });
});
