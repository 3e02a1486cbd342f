/**
 * The baseline for inbound mail: the same smtp-server library with the same options as Rapport's endpoint, the message
 * collected the same way, parsed with mailparser (same options), and one INSERT of its Message-ID, sender, subject
 * and raw bytes into a table — the minimal "store the mail" — before the 250. No recipient check, no customer, no
 * ticket. Env: BENCH_DATABASE_URL, BENCH_POOL_SIZE, PORT. Prints `READY <smtp port>`.
 */
import type { AddressInfo } from 'node:net';
import { simpleParser } from 'mailparser';
import pg from 'pg';
import { SMTPServer } from 'smtp-server';

const connectionString = process.env.BENCH_DATABASE_URL;
if (!connectionString) throw new Error('set BENCH_DATABASE_URL');
// JIT and parallel workers off, as on Rapport's own connections (src/db/client.ts).
const pool = new pg.Pool({
  connectionString,
  max: Number(process.env.BENCH_POOL_SIZE ?? 10),
  options: '-c jit=off -c max_parallel_workers_per_gather=0',
});
const maxBytes = 30 * 1024 * 1024;

const server = new SMTPServer({
  name: 'bare',
  banner: 'bare inbound mail',
  size: maxBytes,
  authOptional: true,
  disabledCommands: ['AUTH', 'STARTTLS'],
  logger: false,
  onData(stream, session, callback) {
    const chunks: Buffer[] = [];
    let size = 0;
    stream.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= maxBytes) chunks.push(c);
    });
    stream.on('end', () => {
      const raw = Buffer.concat(chunks);
      simpleParser(raw, { skipImageLinks: true, maxHtmlLengthToParse: 10 * 1024 * 1024 })
        .then((parsed) =>
          pool.query('insert into bare_mail (message_id, from_address, subject, raw) values ($1, $2, $3, $4)', [
            parsed.messageId ?? null,
            session.envelope.mailFrom ? session.envelope.mailFrom.address : null,
            parsed.subject ?? null,
            raw,
          ]),
        )
        .then(
          () => callback(),
          (err: Error) => callback(Object.assign(err, { responseCode: 451 })),
        );
    });
  },
});
server.on('error', () => undefined);
await new Promise<void>((resolve) => server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', resolve));
process.stdout.write(`READY ${(server.server.address() as AddressInfo).port}\n`);

process.once('SIGTERM', () => {
  server.close(() => {
    void pool.end().then(() => process.exit(0));
  });
});
