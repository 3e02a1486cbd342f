/**
 * A real IMAP server for tests: Debian's Dovecot (package dovecot-imapd), started by the test itself with its own
 * configuration in a temporary directory — 127.0.0.1 on a free port, no TLS, plain-text login, users in a
 * passwd-file, mail in maildirs under the directory — and stopped afterwards. The system's Dovecot service is never
 * touched. Outside CI a machine without Dovecot skips with a printed reason; with CI=true its absence fails.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ImapFlow } from 'imapflow';

export const dovecotPath = '/usr/sbin/dovecot';
export const hasDovecot = fs.existsSync(dovecotPath);
export const dovecotSkip = !hasDovecot && process.env.CI !== 'true';
if (dovecotSkip)
  console.warn(`IMAP tests skipped: no Dovecot at ${dovecotPath} (install the Debian "dovecot-imapd" package).`);

export type DovecotUser = { user: string; password: string };

export type Dovecot = {
  host: string;
  port: number;
  /** The temporary directory with the configuration, the log and the mail. */
  dir: string;
  /** Dovecot's log so far (for a failing test's message). */
  log(): string;
  /** A logged-in client for the user (the caller logs out). */
  client(user: DovecotUser): Promise<ImapFlow>;
  /** Puts a raw RFC 822 message into the user's mailbox (IMAP APPEND, unseen unless flags say otherwise); its UID. */
  append(user: DovecotUser, raw: string | Buffer, opts?: { mailbox?: string; flags?: string[] }): Promise<number>;
  /** The messages of a mailbox: UID, flags and Message-ID. */
  messages(
    user: DovecotUser,
    mailbox?: string,
  ): Promise<Array<{ uid: number; flags: string[]; messageId: string | null }>>;
  stop(): Promise<void>;
};

export function dovecotVersion(): string {
  return execFileSync(dovecotPath, ['--version'], { encoding: 'utf8' }).trim();
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** Resolves once the server greets on the port ("* OK"). */
async function greets(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(1000, () => done(false));
    s.once('data', (d) => done(d.toString().startsWith('* OK')));
    s.once('error', () => done(false));
  });
}

/** Who owns the mail: the current user, or (running as root, as CI does) nobody — Dovecot refuses mail as root. */
function mailOwner(): { uid: number; gid: number; name: string; group: string } {
  const uid = process.getuid?.() ?? 0;
  if (uid !== 0)
    return {
      uid,
      gid: process.getgid?.() ?? uid,
      name: os.userInfo().username,
      group: execFileSync('id', ['-gn'], { encoding: 'utf8' }).trim(),
    };
  return { uid: 65534, gid: 65534, name: 'nobody', group: 'nogroup' };
}

function config(opts: {
  dir: string;
  port: number;
  major: number;
  minor: number;
  owner: { uid: number; gid: number; name: string; group: string };
  root: boolean;
}): string {
  const { dir, port, owner, root } = opts;
  const v24 = opts.major > 2 || (opts.major === 2 && opts.minor >= 4);
  const common = [
    'protocols = imap',
    'listen = 127.0.0.1',
    `base_dir = ${dir}/run`,
    `state_dir = ${dir}/state`,
    `log_path = ${dir}/dovecot.log`,
    `info_log_path = ${dir}/dovecot.log`,
    'ssl = no',
    'auth_mechanisms = plain login',
    // No delay after a failed login (and no penalty: see the anvil service below).
    'auth_failure_delay = 0',
    // Without root there are no other users to switch to, and no chroot.
    ...(root
      ? []
      : [
          `default_internal_user = ${owner.name}`,
          `default_internal_group = ${owner.group}`,
          `default_login_user = ${owner.name}`,
        ]),
    'service imap-login {',
    '  inet_listener imap {',
    `    port = ${port}`,
    '  }',
    '  inet_listener imaps {',
    '    port = 0',
    '  }',
    ...(root ? [] : ['  chroot =']),
    '}',
    'service anvil {',
    ...(root ? [] : ['  chroot =']),
    // No per-address penalty after failed logins (a login after two failed ones in a row would wait seconds).
    '  unix_listener anvil-auth-penalty {',
    '    mode = 0',
    '  }',
    '}',
  ];
  if (v24)
    return [
      'dovecot_config_version = 2.4.0',
      'dovecot_storage_version = 2.4.0',
      ...common,
      'auth_allow_cleartext = yes',
      'passdb passwd-file {',
      `  passwd_file_path = ${dir}/passwd`,
      '}',
      'userdb static {',
      '  fields {',
      `    uid = ${owner.uid}`,
      `    gid = ${owner.gid}`,
      `    home = ${dir}/mail/%{user}`,
      '  }',
      '}',
      'mail_driver = maildir',
      'mail_path = ~/Maildir',
      '',
    ].join('\n');
  return [
    ...common,
    'disable_plaintext_auth = no',
    'passdb {',
    '  driver = passwd-file',
    `  args = scheme=PLAIN username_format=%u ${dir}/passwd`,
    '}',
    'userdb {',
    '  driver = static',
    `  args = uid=${owner.uid} gid=${owner.gid} home=${dir}/mail/%u`,
    '}',
    `mail_location = maildir:${dir}/mail/%u/Maildir`,
    '',
  ].join('\n');
}

/** Starts a Dovecot of the test's own for these users. */
export async function startDovecot(users: DovecotUser[]): Promise<Dovecot> {
  if (!hasDovecot) throw new Error(`CI=true but Dovecot is missing at ${dovecotPath} (package dovecot-imapd)`);
  const [major = 2, minor = 3] = dovecotVersion()
    .split(/[.\s]/)
    .map((x) => Number(x));
  const root = (process.getuid?.() ?? 0) === 0;
  const owner = mailOwner();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rapport-dovecot-'));
  // Dovecot's login and mail processes run as other users: they must reach the directory.
  fs.chmodSync(dir, 0o755);
  for (const d of ['run', 'state', 'mail']) fs.mkdirSync(path.join(dir, d), { mode: 0o755 });
  if (root) fs.chownSync(path.join(dir, 'mail'), owner.uid, owner.gid);
  fs.writeFileSync(path.join(dir, 'passwd'), users.map((u) => `${u.user}:{PLAIN}${u.password}::::::\n`).join(''), {
    mode: 0o644,
  });
  const logFile = path.join(dir, 'dovecot.log');
  const log = () => (fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : '');

  let child: ChildProcess | null = null;
  let port = 0;
  let output = '';
  for (let attempt = 0; attempt < 3 && !child; attempt++) {
    port = await freePort();
    const conf = path.join(dir, 'dovecot.conf');
    fs.writeFileSync(conf, config({ dir, port, major, minor, owner, root }));
    const proc = spawn(dovecotPath, ['-F', '-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
    proc.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    proc.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    let exited = false;
    proc.once('exit', () => (exited = true));
    const deadline = Date.now() + 10_000;
    while (!exited && Date.now() < deadline && !(await greets(port))) await new Promise((r) => setTimeout(r, 100));
    if (!exited && (await greets(port))) child = proc;
    else if (!exited) proc.kill('SIGKILL');
  }
  if (!child) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw new Error(`Dovecot did not start:\n${output}\n${log()}`);
  }
  const proc = child;

  async function client(u: DovecotUser): Promise<ImapFlow> {
    const c = new ImapFlow({
      host: '127.0.0.1',
      port,
      secure: false,
      doSTARTTLS: false,
      auth: { user: u.user, pass: u.password },
      logger: false,
      disableAutoIdle: true,
    });
    c.on('error', () => undefined);
    await c.connect();
    return c;
  }

  return {
    host: '127.0.0.1',
    port,
    dir,
    log,
    client,
    async append(u, raw, opts = {}) {
      const c = await client(u);
      try {
        const mailbox = opts.mailbox ?? 'INBOX';
        if (mailbox !== 'INBOX' && !(await c.list()).some((m) => m.path === mailbox)) await c.mailboxCreate(mailbox);
        const res = await c.append(mailbox, raw, opts.flags ?? []);
        if (!res || res.uid === undefined) throw new Error('APPEND returned no UID');
        return res.uid;
      } finally {
        await c.logout();
      }
    },
    async messages(u, mailbox = 'INBOX') {
      const c = await client(u);
      try {
        const box = await c.mailboxOpen(mailbox, { readOnly: true });
        if (!box.exists) return [];
        const out: Array<{ uid: number; flags: string[]; messageId: string | null }> = [];
        for await (const m of c.fetch('1:*', { uid: true, flags: true, envelope: true }))
          out.push({ uid: m.uid, flags: [...(m.flags ?? [])], messageId: m.envelope?.messageId ?? null });
        return out.sort((a, b) => a.uid - b.uid);
      } finally {
        await c.logout();
      }
    },
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) {
        const gone = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
        proc.kill('SIGTERM');
        const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
        await gone;
        clearTimeout(timer);
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
