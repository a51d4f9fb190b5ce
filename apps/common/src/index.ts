export * from './config.js';
export * from './logger.js';
export * from './exceptions.js';
export * from './request-log.js';
export * from './control-guard.js';
export * from './bootstrap.js';
