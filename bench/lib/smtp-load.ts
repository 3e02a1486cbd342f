/**
 * SMTP load: `clients` pooled SMTP connections (nodemailer's pool transport, real SMTP over TCP), each sending the
 * next planned message as soon as its previous one is answered, for a fixed time. A message counts as accepted when
 * the server answers 250 after DATA; its transaction time runs from MAIL FROM to that answer (the raw message is
 * built beforehand, so composing is not timed).
 */
import { performance } from 'node:perf_hooks';
import nodemailer from 'nodemailer';
import type { MailPlan, PlannedMail } from './mail-data.ts';
import { percentileSorted, round } from './stats.ts';

export type SmtpRun = {
  accepted: number;
  refused: number;
  messagesPerSec: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  wallSeconds: number;
  /** The first few refusals, for the log. */
  refusals: string[];
};

export async function runSmtpLoad(opts: {
  port: number;
  to: string;
  plan: MailPlan;
  clients: number;
  durationSeconds: number;
  /** Called for every accepted message (verification needs them all). */
  onAccepted: (m: PlannedMail) => void;
}): Promise<SmtpRun> {
  const transport = nodemailer.createTransport({
    pool: true,
    host: '127.0.0.1',
    port: opts.port,
    secure: false,
    ignoreTLS: true,
    maxConnections: opts.clients,
    maxMessages: Infinity,
  });
  const latencies: number[] = [];
  const refusals: string[] = [];
  let refused = 0;
  const started = performance.now();
  const deadline = started + opts.durationSeconds * 1000;
  const client = async () => {
    while (performance.now() < deadline) {
      const m = opts.plan.next();
      const t0 = performance.now();
      try {
        await transport.sendMail({ envelope: { from: m.from, to: [opts.to] }, raw: m.raw });
        latencies.push(performance.now() - t0);
        opts.plan.acceptedMail(m);
        opts.onAccepted(m);
      } catch (err) {
        refused++;
        if (refusals.length < 5) refusals.push((err as Error).message);
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: opts.clients }, client));
  } finally {
    transport.close();
  }
  const wallSeconds = (performance.now() - started) / 1000;
  const sorted = Float64Array.from(latencies).sort();
  return {
    accepted: latencies.length,
    refused,
    messagesPerSec: round(latencies.length / wallSeconds, 1),
    p50Ms: round(percentileSorted(sorted, 50), 2),
    p99Ms: round(percentileSorted(sorted, 99), 2),
    maxMs: round(sorted[sorted.length - 1] ?? Number.NaN, 2),
    wallSeconds: round(wallSeconds, 2),
    refusals,
  };
}
