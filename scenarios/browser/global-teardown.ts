import type { RunningStack } from '../runner/stack/index.js';
import { STACK_KEY } from './global-setup.js';

/** Stops the stack global-setup.ts started (SIGTERM, then SIGKILL after the grace period). */
export default async function globalTeardown(): Promise<void> {
  const stack = (globalThis as Record<symbol, RunningStack | undefined>)[STACK_KEY];
  delete (globalThis as Record<symbol, RunningStack | undefined>)[STACK_KEY];
  await stack?.stop();
}
