export * from './launcher.js';
export * from './ports.js';
export * from './role-table.js';
