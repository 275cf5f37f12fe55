// All tables, one file per feature area. drizzle-kit reads this folder to generate migrations.
export * from './registry.js';
export * from './rules.js';
export * from './payments.js';
export * from './findings.js';
export * from './entitlement-inputs.js';
export * from './dci.js';
export * from './access.js';
export * from './changes.js';
