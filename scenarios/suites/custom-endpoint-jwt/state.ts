import type { Jwks, OpenIdConfiguration } from '../../../contracts/src/index.js';
import type { DecodedJwt } from '../../checks/jwt.js';

/** What one phase of the scenario learns and a later one uses. */
export interface CustomEndpointState {
  discovery?: OpenIdConfiguration;
  jwks?: Jwks;
  /** JWKS and discovery paths on the issuer, for counting the gateway's fetches. */
  keyPaths?: string[];
  /** The token the Web IDE got through its session (steps 1-3). */
  sessionToken?: { token: string; decoded: DecodedJwt };
  /** A token from a personal access token, used where the session token is not available. */
  patToken?: { token: string; decoded: DecodedJwt };
}

/** The token the keystroke checks use: the session's, else the PAT's. */
export function usableToken(state: CustomEndpointState): { token: string; decoded: DecodedJwt } | undefined {
  return state.sessionToken ?? state.patToken;
}
