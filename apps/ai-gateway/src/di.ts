/** Injection symbols of the AI gateway (APP_CONFIG and APP_LOGGER come from apps/common). */

/** The fetch used for every outbound call (discovery, JWKS, model); tests inject their own. */
export const AIGW_FETCH = Symbol('AIGW_FETCH');
/** The fetch of the calls to the model (completions, chat): PooledFetch unless a test injects `fetch`. */
export const AIGW_MODEL_FETCH = Symbol('AIGW_MODEL_FETCH');
/** The completions' ModelPost: PooledFetch.post unless a test injects `fetch`. */
export const AIGW_MODEL_POST = Symbol('AIGW_MODEL_POST');
/** Milliseconds since the epoch; tests inject a manual clock. */
export const AIGW_CLOCK = Symbol('AIGW_CLOCK');

export type FetchFn = (url: string, init: RequestInit) => Promise<Response>;
export type Clock = () => number;
