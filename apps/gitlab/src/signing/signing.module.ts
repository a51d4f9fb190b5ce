import { readFileSync } from 'node:fs';
import { Module } from '@nestjs/common';
import { APP_CONFIG, ConfigError } from '#common';
import { APP_NAME, type GitlabConfig } from '../config.js';
import { CLOCK, type Clock } from '../instance/di.js';
import { SigningKeyFileError, SigningKeys } from './signing-keys.service.js';

/** Reads SIGNING_KEY_FILE (if set) into the first signing key; a bad file stops start-up naming it. */
async function createSigningKeys(config: GitlabConfig, clock: Clock): Promise<SigningKeys> {
  const file = config.signingKeyFile;
  if (file === undefined) return SigningKeys.create(clock);
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(APP_NAME, [`SIGNING_KEY_FILE: ${file}: cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`]);
  }
  try {
    return await SigningKeys.create(clock, pem);
  } catch (e) {
    if (e instanceof SigningKeyFileError) throw new ConfigError(APP_NAME, [`SIGNING_KEY_FILE: ${file}: ${e.message}`]);
    throw e;
  }
}

@Module({
  providers: [{ provide: SigningKeys, useFactory: createSigningKeys, inject: [APP_CONFIG, CLOCK] }],
  exports: [SigningKeys],
})
export class SigningModule {}
