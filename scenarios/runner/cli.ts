#!/usr/bin/env node
/**
 * ai-auth-harness: the conformance runner's executable (package bin). See cli-main.ts for
 * the commands, options and exit codes, or run `ai-auth-harness --help`.
 */
import { runCli } from './cli-main.js';

const code = await runCli(process.argv.slice(2), {
  loadScenarios: async () => (await import('../suites/index.js')).SCENARIOS,
  stdout: process.stdout,
  stderr: process.stderr,
});
process.exitCode = code;
// Leave time for stdout to drain, but never hang on a stray handle (a keep-alive socket).
setTimeout(() => process.exit(code), 2000).unref();
