/** DI tokens of the fake model. */
export const FAKE_MODEL_CONFIG = Symbol('FAKE_MODEL_CONFIG');
export const FAKE_MODEL_LOGGER = Symbol('FAKE_MODEL_LOGGER');
export const FAKE_MODEL_REQUEST_LOG = Symbol('FAKE_MODEL_REQUEST_LOG');
