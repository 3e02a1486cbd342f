import fs from 'node:fs';
import path from 'node:path';
import nodemailer from 'nodemailer';
import pg from 'pg';
import { createDb } from '../../src/db/client.ts';
import { runMigrations } from '../../src/db/migrate.ts';
import { seedDesk, type SeededDesk } from '../lib/desk-seed.ts';
import { MailPlan, type PlannedMail } from '../lib/mail-data.ts';
import { contentionNotes, withCpu, type CpuUse } from '../lib/measure.ts';
import { dropDatabase, freshDatabase } from '../lib/pg.ts';
import { cpuProfiling, loadSettings, serverNodeArgs } from '../lib/settings.ts';
import { runSmtpLoad, type SmtpRun } from '../lib/smtp-load.ts';
import { benchDir, spawnServer, type SpawnedServer } from '../lib/spawn.ts';
import { median, round } from '../lib/stats.ts';
import type { Benchmark, SummaryRow } from '../lib/types.ts';

const benchDb = 'rapport_bench_mail';
const targetPerSec = 200;
const seed = 20_261_124;
const existingPeople = Number(process.env.BENCH_MAIL_PEOPLE || 20_000);

type Target = {
  name: 'bare' | 'rapport';
  server: SpawnedServer;
  smtpPort: number;
  plan: MailPlan;
  accepted: PlannedMail[];
};
type MailRunRecord = Omit<SmtpRun, 'refusals'> & {
  name: string;
  round: number;
  serverCpuUsPerMsg: number | null;
  postgresCpuUsPerMsg: number | null;
  otherLoadPct: number | null;
};

function log(msg: string): void {
  process.stderr.write(`  [mail-in] ${msg}\n`);
}

const perMessage = (ms: number | null, n: number) => (ms === null || !n ? null : round((ms * 1000) / n, 0));

async function measureRun(t: Target, clients: number, seconds: number, supportAddress: string) {
  const out: { result: SmtpRun } & CpuUse = await withCpu(
    [t.server.pid],
    () =>
      runSmtpLoad({
        port: t.smtpPort,
        to: supportAddress,
        plan: t.plan,
        clients,
        durationSeconds: seconds,
        onAccepted: (m) => t.accepted.push(m),
      }),
    { database: benchDb },
  );
  const r = out.result;
  if (r.refusals.length) log(`${t.name}: ${r.refused} refused, e.g. ${r.refusals.join(' | ')}`);
  return {
    ...r,
    serverCpuUsPerMsg: perMessage(out.serverCpuMs, r.accepted),
    postgresCpuUsPerMsg: perMessage(out.postgresCpuMs, r.accepted),
    otherLoadPct: out.otherLoadPct,
  };
}

function describe(r: Omit<MailRunRecord, 'name' | 'round'>): string {
  return (
    `${r.messagesPerSec} msg/s (${r.accepted} accepted, ${r.refused} refused), p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms, ` +
    `server CPU ${r.serverCpuUsPerMsg} µs/msg, PostgreSQL CPU ${r.postgresCpuUsPerMsg} µs/msg, other load ${r.otherLoadPct}%`
  );
}

/** Sends one message by hand and checks the refusal of an unknown recipient: the setup works before the load. */
async function sanityCheck(port: number, to: string, plan: MailPlan, accepted: PlannedMail[], refuses: boolean) {
  const t = nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true });
  try {
    const m = plan.next();
    await t.sendMail({ envelope: { from: m.from, to: [to] }, raw: m.raw });
    plan.acceptedMail(m);
    accepted.push(m);
    if (refuses) {
      const stray = plan.next();
      const refused = await t
        .sendMail({ envelope: { from: stray.from, to: ['nobody@bench-desk.example'] }, raw: stray.raw })
        .then(
          () => null,
          (err: { responseCode?: number }) => err.responseCode ?? -1,
        );
      if (refused !== 550) throw new Error(`expected 550 for an unknown recipient, got ${refused ?? 'acceptance'}`);
    }
  } finally {
    t.close();
  }
}

type Check = { what: string; expected: number; found: number };

/** What the database holds after the runs, against what the SMTP clients saw accepted. */
async function verifyRapport(url: string, desk: SeededDesk, accepted: PlannedMail[]): Promise<Check[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const ws = desk.workspaceId;
    const one = async (q: string, params: unknown[] = [ws]) =>
      Number((await c.query<{ n: string }>(q, params)).rows[0]?.n ?? Number.NaN);
    const rows = (
      await c.query<{ mid: string | null; ticket: string; atts: number }>(
        `select m.email_message_id as mid, m.ticket_id as ticket,
                (select count(*)::int from attachments a where a.workspace_id = m.workspace_id and a.message_id = m.id) as atts
           from messages m where m.workspace_id = $1 and m.direction = 'inbound'`,
        [ws],
      )
    ).rows;
    const byId = new Map<string, { ticket: string; atts: number; n: number }>();
    for (const r of rows) {
      if (!r.mid) continue;
      const prev = byId.get(r.mid);
      byId.set(r.mid, { ticket: r.ticket, atts: r.atts, n: (prev?.n ?? 0) + 1 });
    }
    const stored = accepted.filter((m) => byId.get(m.messageId)?.n === 1).length;
    const replies = accepted.filter((m) => m.parentId);
    const threaded = replies.filter((m) => {
      const mine = byId.get(m.messageId);
      const parent = m.parentId ? byId.get(m.parentId) : undefined;
      return mine && parent && mine.ticket === parent.ticket;
    }).length;
    const withFiles = accepted.filter((m) => m.attachment);
    const filesStored = withFiles.filter((m) => (byId.get(m.messageId)?.atts ?? 0) === 1).length;
    const senders = [...new Set(accepted.map((m) => m.from))];
    const newThreads = accepted.length - replies.length;
    return [
      { what: 'inbound messages stored', expected: accepted.length, found: rows.length },
      { what: 'accepted Message-IDs stored exactly once', expected: accepted.length, found: stored },
      {
        what: 'tickets (one per message that is not a reply)',
        expected: newThreads,
        found: await one('select count(*) as n from tickets where workspace_id = $1'),
      },
      { what: 'replies on their parent’s ticket', expected: replies.length, found: threaded },
      { what: 'messages with their attachment stored', expected: withFiles.length, found: filesStored },
      {
        what: 'senders found as people',
        expected: senders.length,
        found: await one(
          `select count(*) as n from unnest($2::text[]) as s(addr)
            where exists (select 1 from people p where p.workspace_id = $1 and p.emails @> array[s.addr])`,
          [ws, senders],
        ),
      },
      {
        what: 'ticket.message_received events',
        expected: accepted.length,
        found: await one(
          `select count(*) as n from events where workspace_id = $1 and type = 'ticket.message_received'`,
        ),
      },
      {
        what: 'ticket.created events',
        expected: newThreads,
        found: await one(`select count(*) as n from events where workspace_id = $1 and type = 'ticket.created'`),
      },
    ];
  } finally {
    await c.end();
  }
}

async function verifyBare(url: string, accepted: PlannedMail[]): Promise<Check[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const ids = new Set(
      (await c.query<{ message_id: string }>('select message_id from bare_mail')).rows.map((r) => r.message_id),
    );
    return [
      { what: 'bare: rows stored', expected: accepted.length, found: ids.size },
      {
        what: 'bare: accepted Message-IDs stored',
        expected: accepted.length,
        found: accepted.filter((m) => ids.has(`<${m.messageId}>`)).length,
      },
    ];
  } finally {
    await c.end();
  }
}

function medianOf(runs: MailRunRecord[], name: string) {
  const mine = runs.filter((r) => r.name === name);
  const pick = (f: (r: MailRunRecord) => number | null) => {
    const v = mine.map(f).filter((x): x is number => x !== null);
    return v.length ? median(v) : Number.NaN;
  };
  return {
    messagesPerSec: round(
      pick((r) => r.messagesPerSec),
      1,
    ),
    p50Ms: round(
      pick((r) => r.p50Ms),
      2,
    ),
    p99Ms: round(
      pick((r) => r.p99Ms),
      2,
    ),
    serverCpuUsPerMsg: round(
      pick((r) => r.serverCpuUsPerMsg),
      0,
    ),
    postgresCpuUsPerMsg: round(
      pick((r) => r.postgresCpuUsPerMsg),
      0,
    ),
    refused: mine.reduce((a, r) => a + r.refused, 0),
  };
}

export const mailIn: Benchmark = {
  name: 'mail-in',
  title: 'Inbound e-mail to ticket over SMTP',
  async run(ctx) {
    const s = loadSettings();
    const clients = s.connections;
    const nodeArgs = serverNodeArgs(ctx.tmpDir);
    const dataDir = path.join(ctx.tmpDir, 'mail-in-data');
    const runs: MailRunRecord[] = [];
    const servers: SpawnedServer[] = [];
    let checks: Check[];
    let desk: SeededDesk;
    const rapportAccepted: PlannedMail[] = [];
    const bareAccepted: PlannedMail[] = [];
    try {
      log(`creating ${benchDb}, migrating, setting up the service desk`);
      const url = await freshDatabase(ctx.adminDatabaseUrl, benchDb);
      const database = await createDb({ databaseUrl: url, poolSize: 2 });
      try {
        await runMigrations(database);
        desk = await seedDesk(database, { databaseUrl: url, agents: 5, people: existingPeople, seed, log });
        await database.pool?.query(
          `create table bare_mail (id bigserial primary key, message_id text, from_address text, subject text,
             raw bytea not null, received_at timestamptz not null default now())`,
        );
      } finally {
        await database.close();
      }
      fs.rmSync(dataDir, { recursive: true, force: true });

      const env = { BENCH_DATABASE_URL: url, BENCH_POOL_SIZE: String(s.poolSize) };
      const bare = await spawnServer({ name: 'bare-smtp', script: path.join(benchDir, 'servers/bare-smtp.ts'), env });
      servers.push(bare);
      const rapport = await spawnServer({
        name: 'rapport',
        script: path.join(benchDir, 'servers/rapport-start.ts'),
        env: { ...env, BENCH_DATA_DIR: dataDir },
        nodeArgs,
      });
      servers.push(rapport);
      const rapportSmtp = Number(rapport.info.smtp);
      if (!Number.isInteger(rapportSmtp) || rapportSmtp <= 0) throw new Error('Rapport did not open its SMTP port');
      const planOpts = { seed, supportAddress: desk.supportAddress, customerEmails: desk.customerEmails };
      const targets: Target[] = [
        {
          name: 'bare',
          server: bare,
          smtpPort: Number(new URL(bare.url).port),
          plan: new MailPlan(planOpts),
          accepted: bareAccepted,
        },
        {
          name: 'rapport',
          server: rapport,
          smtpPort: rapportSmtp,
          plan: new MailPlan(planOpts),
          accepted: rapportAccepted,
        },
      ];
      await sanityCheck(targets[0]!.smtpPort, desk.supportAddress, targets[0]!.plan, bareAccepted, false);
      await sanityCheck(rapportSmtp, desk.supportAddress, targets[1]!.plan, rapportAccepted, true);

      for (const t of targets)
        if (s.warmupSeconds > 0)
          log(
            `${t.name} warm-up (discarded): ${describe(await measureRun(t, clients, s.warmupSeconds, desk.supportAddress))}`,
          );
      for (let round = 1; round <= s.rounds; round++)
        for (const t of targets) {
          const r = await measureRun(t, clients, s.durationSeconds, desk.supportAddress);
          log(`${t.name} round ${round}: ${describe(r)}`);
          const { refusals: _refusals, ...kept } = r;
          runs.push({ name: t.name, round, ...kept });
        }
      // Informative: one client, so no message waits for another's transaction (the ticket counter) or for CPU.
      const single = await measureRun(targets[1]!, 1, s.durationSeconds, desk.supportAddress);
      log(`rapport, one client: ${describe(single)}`);
      const { refusals: _single, ...keptSingle } = single;
      runs.push({ name: 'rapport-1', round: 1, ...keptSingle });
      await Promise.all([bare.stop(), rapport.stop()]);
      log('checking what the databases hold');
      checks = [...(await verifyRapport(url, desk, rapportAccepted)), ...(await verifyBare(url, bareAccepted))];
      for (const c of checks)
        log(`${c.found === c.expected ? 'ok' : 'MISMATCH'} ${c.what}: ${c.found} of ${c.expected}`);
    } finally {
      await Promise.all(servers.map((srv) => srv.stop()));
      await dropDatabase(ctx.adminDatabaseUrl, benchDb);
      fs.rmSync(dataDir, { recursive: true, force: true });
    }

    const b = medianOf(runs, 'bare');
    const r = medianOf(runs, 'rapport');
    const one = medianOf(runs, 'rapport-1');
    const allStored = checks.every((c) => c.found === c.expected);
    const summary: SummaryRow[] = [
      {
        name: 'bare smtp-server + mailparser + one INSERT',
        metrics: b,
        baseline: null,
        ratio: null,
        target: null,
        pass: null,
      },
      {
        name: 'Rapport: e-mail → ticket (PostgreSQL)',
        metrics: r,
        baseline: 'bare smtp-server + mailparser + one INSERT',
        ratio: round(r.messagesPerSec / b.messagesPerSec, 3),
        target: `≥ ${targetPerSec} messages/s (absolute), none refused, every accepted message stored`,
        pass: r.messagesPerSec >= targetPerSec && r.refused === 0 && allStored,
      },
      {
        name: 'Rapport, one SMTP client (informative)',
        metrics: one,
        baseline: null,
        ratio: null,
        target: null,
        pass: null,
        note: 'one message at a time: the time of one message through the whole path',
      },
    ];
    const mix = rapportAccepted.reduce<Record<string, number>>((acc, m) => {
      acc[m.kind] = (acc[m.kind] ?? 0) + 1;
      return acc;
    }, {});
    const att = rapportAccepted.filter((m) => m.attachment).length;
    const roundsOf = (name: string) =>
      runs
        .filter((r) => r.name === name)
        .map((r) => r.messagesPerSec)
        .join(', ');
    return {
      description:
        `Support e-mail delivered over real SMTP (TCP, nodemailer's pooled transport: ${clients} connections, each ` +
        `sending its next message as soon as the previous one is answered) to Rapport's inbound endpoint, running ` +
        `as \`rapport start\` runs it (HTTP app, realtime bus, job runner, SMTP endpoint) on PostgreSQL in its own ` +
        `process, into a workspace set up like a real desk: 5 agents in a team, the e-mail channel routed to it, ` +
        `a business-hours calendar with two SLA policies, the recommended escalation rules and ` +
        `${existingPeople.toLocaleString('en-US')} existing customers. Each message goes through the recipient check, ` +
        `MIME parsing, the customer's lookup or creation, threading, the ticket, conversation and message, ` +
        `attachments, events, rules and the SLA clock (in one statement or one transaction) before the 250. ` +
        `Baseline in the same ` +
        `run: the same smtp-server library and options, the message parsed with mailparser and stored with one ` +
        `INSERT (Message-ID, sender, subject, raw bytes) — the minimal "store the mail". Figures are the median of ` +
        `the rounds.`,
      settings: {
        smtpClients: clients,
        durationSeconds: s.durationSeconds,
        warmupSeconds: s.warmupSeconds,
        rounds: s.rounds,
        barePoolSize: s.poolSize,
        rapportPoolSize: 10,
        existingPeople,
        rapportLogger: process.env.BENCH_LOG_LEVEL || 'silent',
        cpuProfiling,
      },
      columns: [
        { key: 'messagesPerSec', label: 'messages/s', digits: 1 },
        { key: 'p50Ms', label: 'p50 ms', digits: 2 },
        { key: 'p99Ms', label: 'p99 ms', digits: 2 },
        { key: 'serverCpuUsPerMsg', label: 'server CPU µs/msg', digits: 0 },
        { key: 'postgresCpuUsPerMsg', label: 'PostgreSQL CPU µs/msg', digits: 0 },
        { key: 'refused', label: 'refused', digits: 0 },
      ],
      summary,
      runs: [...runs, { checks }],
      notes: [
        ...contentionNotes(runs, { disturbed: 'messages/s, latencies', robust: 'CPU µs/msg' }),
        `The target is absolute (${targetPerSec} messages/s accepted, on this machine), not a share of the baseline; ` +
          'the ratio is shown beside it. A message counts when the server answers 250 after DATA.',
        `The mail: ${rapportAccepted.length.toLocaleString('en-US')} messages reached Rapport in all (warm-up ` +
          `included): ${mix.new ?? 0} from new senders, ${mix.returning ?? 0} from returning customers (half of them ` +
          `already in the database, half earlier senders of the run), ${mix.reply ?? 0} replies (In-Reply-To and ` +
          `References to a message accepted earlier, "Re:" subject, quoted text); 85% text + HTML ` +
          `(multipart/alternative), the rest text only; ${att} with a 12 KB PDF attachment. Built as raw RFC 5322 ` +
          'text before sending (bench/lib/mail-data.ts), the same sequence for both servers.',
        'p50/p99: the SMTP transaction of each accepted message as the client sees it, from MAIL FROM to the 250 ' +
          'after DATA (the connection is already open).',
        'Checked after the runs, in the database: ' +
          checks
            .map((c) => `${c.what} ${c.found} of ${c.expected}${c.found === c.expected ? '' : ' (MISMATCH)'}`)
            .join('; ') +
          '. A mismatch fails the benchmark.',
        'CPU µs/msg: CPU time (user + system, from /proc) of the server process, and of the PostgreSQL processes ' +
          "serving the benchmark's database (plus the server's own background writers), per accepted message during " +
          "the run. Rapport's includes its job runner and realtime notifications.",
        'Where the time goes in Rapport (BENCH_PG_COUNT=1 lists the statements a server sent): the recipient check ' +
          '(a found address is not looked up again for 2 s, and clients checking one address at once share a lookup), ' +
          "then the workspace set-up's version (the set-up itself — settings, rules, SLA policies and calendars, SOPs — " +
          "only when it changed since the server last read it), the duplicate check, the sender's " +
          'people by address and either the ticket number (a new mail) or the thread it answers (a reply), in one ' +
          "statement. A known customer's new mail that refers to no earlier one — when no ticket.created rule matches " +
          'it, no SLA notice is due at once and its type has no checklist — is then written in one statement without ' +
          'a transaction: the ticket with its SLA, the conversation, message, attachments, events and the realtime ' +
          'NOTIFY (sent at commit): 2 statements in all (about 7 two versions ago, 20 five versions ago). Mail from a ' +
          'new address takes a transaction, where the address is locked while it is looked up again, so that two ' +
          'mails from it at once make one person. ' +
          "A reply no rule matches takes one transaction of prepared statements — the ticket locked, the SLA clock's history " +
          "read, then the ticket's change with the SLA counted from that history, the message, its events and the " +
          "conversation's time in one statement — 6 in all with BEGIN and COMMIT (8 in the previous version, 12 " +
          'before); a mail a rule matches takes a longer transaction (the rules, then the SLA clock). Against one ' +
          "for the baseline. Nothing is locked across transactions, so the machine's CPU is " +
          'the bound: server and PostgreSQL together spend about 7 ms per message (the columns above), each statement ' +
          'costing about as much in the server (building it, pg, the socket write) as in PostgreSQL, plus MIME ' +
          "parsing and HTML sanitising (the one multi-table write is written without drizzle's builder); " +
          "a new customer's row in PostgreSQL also fills the search dictionary (a trigger) and the people table's GIN " +
          'indexes. The one-client row shows one message alone.',
        `Rounds, in messages/s (the median is the figure): Rapport ${roundsOf('rapport')}; the bare server ` +
          `${roundsOf('bare')}. Rounds vary by up to ±20% on this machine with what else runs on it.`,
      ],
    };
  },
};
