import path from 'node:path';
import { z } from 'zod';

const configSchema = z.object({
  DATABASE_URL: z.string().url().optional(),
  RAPPORT_DATA_DIR: z.string().min(1).default('./data'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Public URL the console is reached at (used in printed links and cookies' Secure flag). */
  RAPPORT_PUBLIC_URL: z.string().url().optional(),
  /** Comma-separated origins allowed to call the API from a browser. Empty = CORS off. */
  RAPPORT_CORS_ORIGINS: z.string().default(''),
  RAPPORT_BODY_LIMIT: z.coerce.number().int().positive().default(1_048_576),
  RAPPORT_JOBS: z.enum(['on', 'off']).default('on'),
  /** Trust X-Forwarded-For/Proto from a reverse proxy. Off by default: a client could otherwise forge its address. */
  RAPPORT_TRUST_PROXY: z.enum(['true', 'false']).default('false'),
  /** Port of the built-in SMTP endpoint for inbound support mail ("off" to disable; 0 = any free port). */
  RAPPORT_SMTP_PORT: z.union([z.literal('off'), z.coerce.number().int().min(0).max(65535)]).default(2525),
});

export type Config = {
  databaseUrl: string | undefined;
  dataDir: string;
  port: number;
  host: string;
  logLevel: z.infer<typeof configSchema>['LOG_LEVEL'];
  publicUrl: string | undefined;
  corsOrigins: string[];
  bodyLimit: number;
  runJobs: boolean;
  trustProxy: boolean;
  smtpPort: number | null;
};

/** Reads configuration from the environment; throws a readable message listing every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = configSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const c = parsed.data;
  return {
    databaseUrl: c.DATABASE_URL,
    dataDir: path.resolve(c.RAPPORT_DATA_DIR),
    port: c.PORT,
    host: c.HOST,
    logLevel: c.LOG_LEVEL,
    publicUrl: c.RAPPORT_PUBLIC_URL,
    corsOrigins: c.RAPPORT_CORS_ORIGINS.split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    bodyLimit: c.RAPPORT_BODY_LIMIT,
    runJobs: c.RAPPORT_JOBS === 'on',
    trustProxy: c.RAPPORT_TRUST_PROXY === 'true',
    smtpPort: c.RAPPORT_SMTP_PORT === 'off' ? null : c.RAPPORT_SMTP_PORT,
  };
}
