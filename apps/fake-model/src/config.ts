import { z } from 'zod';
import { DEFAULT_PORT } from '../../../contracts/src/index.js';
import { checkHttpTimeouts, configFields, HTTP_TIMEOUT_FLAGS, httpTimeoutFields, loadConfig, type ConfigSource } from '../../common/src/index.js';

/** Environment variables of the fake model (main.ts maps the CLI flags onto them). */
export const fakeModelConfigSchema = z.object({
  PORT: configFields.port(DEFAULT_PORT['fake-model']),
  HOST: configFields.host(),
  /** Added to every completion; the control API can change it at run time. */
  FAKE_MODEL_LATENCY_MS: configFields.milliseconds(0),
  HARNESS_CONTROL_TOKEN: configFields.controlToken(),
  LOG_LEVEL: configFields.logLevel(),
  ...httpTimeoutFields(),
}).superRefine(checkHttpTimeouts);

export type FakeModelConfig = z.infer<typeof fakeModelConfigSchema>;

/** CLI flag -> variable. The control token has no flag: secrets stay out of `ps` output. */
export const FAKE_MODEL_FLAGS: Record<string, string> = {
  port: 'PORT',
  host: 'HOST',
  'latency-ms': 'FAKE_MODEL_LATENCY_MS',
  'log-level': 'LOG_LEVEL',
  ...HTTP_TIMEOUT_FLAGS,
};

export function loadFakeModelConfig(source: ConfigSource): FakeModelConfig {
  return loadConfig('fake-model', fakeModelConfigSchema, source);
}
