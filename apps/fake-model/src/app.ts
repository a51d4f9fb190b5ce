import { defineApp } from '#common';
import { ChatModule } from './chat/chat.module.js';
import { CompletionsModule } from './completions/completions.module.js';
import { type FakeModelConfig, fakeModelSettings, loadFakeModelConfig } from './config.js';
import { FaultInjector } from './faults/fault-injector.js';
import { FaultsControlController } from './faults/faults-control.controller.js';
import { FaultsModule } from './faults/faults.module.js';
import { HealthModule } from './health/health.module.js';

/** The fake model's error body: `{"error": "<reason>"}`. */
export const fakeModelErrorShape = (_status: number, reason: string) => ({ error: reason });

/** The harness's deterministic code-completion model. */
export const fakeModel = defineApp<FakeModelConfig>({
  name: 'fake-model',
  summary: "the harness's deterministic model: code completions (POST /v1/completions) and streamed chat answers (POST /v1/chat/completions), with injectable latency and failures",
  config: fakeModelSettings,
  load: loadFakeModelConfig,
  errorShape: fakeModelErrorShape,
  /**
   * Request bodies up to 8 MiB. fake-model-request.schema.json counts characters (prompt and
   * suffix up to 200000 each), the limit counts bytes: at worst every character arrives
   * \u-escaped, 12 bytes for one outside the BMP, so the largest schema-valid request is about
   * 4.8 MB and must never get 413.
   */
  bodyLimitBytes: 8 * 1024 * 1024,
  imports: () => [HealthModule, CompletionsModule, ChatModule],
  control: () => ({ imports: [FaultsModule], controllers: [FaultsControlController], resets: [FaultInjector] }),
});
