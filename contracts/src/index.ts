export * from './constants.js';
export * from './types.js';
export * from './files.js';
export * from './schemas.js';
export * from './clauses.js';
export * from './redaction.js';
export * from './ci-job-id-token.js';
