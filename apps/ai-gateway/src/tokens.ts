/** DI tokens of the AI gateway. */
export const AIGW_CONFIG = Symbol('AIGW_CONFIG');
export const AIGW_LOGGER = Symbol('AIGW_LOGGER');
export const AIGW_REQUEST_LOG = Symbol('AIGW_REQUEST_LOG');
/** The fetch used for every outbound call (discovery, JWKS, model); tests inject their own. */
export const AIGW_FETCH = Symbol('AIGW_FETCH');
/** Milliseconds since the epoch; tests inject a manual clock. */
export const AIGW_CLOCK = Symbol('AIGW_CLOCK');

export type FetchFn = (url: string, init: RequestInit) => Promise<Response>;
export type Clock = () => number;
