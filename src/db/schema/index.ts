export * from './workspaces.ts';
export * from './users.ts';
export * from './events.ts';
export * from './jobs.ts';
export * from './idempotency.ts';
export * from './customers.ts';
export * from './imports.ts';
export * from './webhooks.ts';
