/**
 * Runs in its own process, started pinned to one core (verification.ts,
 * measureVerificationPinned): measures cold verification and prints VerificationFigures as
 * JSON on stdout. A process pinned from its start keeps every thread it makes (WebCrypto's
 * thread pool included) on that core; re-pinning a busy process mid-run hung it here.
 */
import { measureVerification } from './verification.js';

process.stdout.write(`${JSON.stringify(await measureVerification())}\n`);
