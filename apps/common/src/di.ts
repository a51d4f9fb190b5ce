/** Injection symbols every app provides (defineApp registers them app-wide). */

/** The app's typed configuration (camelCase, validated once at start-up). */
export const APP_CONFIG = Symbol('APP_CONFIG');
/** The app's pino logger. */
export const APP_LOGGER = Symbol('APP_LOGGER');
