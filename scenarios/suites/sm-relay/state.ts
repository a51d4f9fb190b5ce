import type { Jwks } from '../../../contracts/src/index.js';
import type { IdeClient } from '../../clients/ide-client.js';

/** What one phase of the sm-relay scenario learns and a later one uses. */
export interface SmRelayState {
  /** The SaaS user the stored service access token belongs to. */
  serviceAccount?: string;
  /** SaaS's published keys: the relayed JWT must verify with one of them. */
  saasJwks?: Jwks;
  /** The IDE (VS Code) configured with the developer's PAT. */
  ide?: IdeClient;
  /** The IDE's clock, which the loop moves forward to let a JWT age (ms since the epoch). */
  clock: { now: number };
}
