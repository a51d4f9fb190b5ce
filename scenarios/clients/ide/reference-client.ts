/**
 * The reference IDE client as a command (the default `ide-client` of a target profile): seed
 * 003's session manager behind the IDE client protocol (protocol.ts). Usage:
 * `node dist/scenarios/clients/ide/reference-client.js sign-in|call [N]|sign-out`.
 */
import { runIdeClient } from './session-cli.js';

process.exitCode = await runIdeClient(process.argv.slice(2), process.env);
