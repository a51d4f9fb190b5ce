import { DEFAULT_PORT } from '#contracts';
import { type ConfigOf, type ConfigSource, checkHttpTimeouts, configFields, defineConfig, loadConfig, serverSettings } from '#common';

/** The fake model's settings: the variables and flags users set, the camelCase keys the app reads. */
export const fakeModelSettings = defineConfig({
  app: 'fake-model',
  settings: {
    latencyMs: {
      env: 'FAKE_MODEL_LATENCY_MS',
      flag: 'latency-ms',
      doc: 'delay added to every completion, in ms (the control API can change it at run time)',
      schema: configFields.milliseconds(0),
    },
    ...serverSettings(DEFAULT_PORT['fake-model']),
  },
  refine: [checkHttpTimeouts],
});

export type FakeModelConfig = ConfigOf<typeof fakeModelSettings.settings>;

export function loadFakeModelConfig(source: ConfigSource): FakeModelConfig {
  return loadConfig(fakeModelSettings, source);
}
