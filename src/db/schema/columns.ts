import { sql } from 'drizzle-orm';

/**
 * Default for timestamp columns: now() cut to milliseconds. The API and list cursors carry milliseconds (JS Dates),
 * so stored values must not have more precision — otherwise a cursor could skip or repeat rows, and sorting would
 * have to truncate and lose its index.
 */
export const msNow = sql`date_trunc('milliseconds', now())`;
