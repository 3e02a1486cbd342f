/**
 * Live-chat load with real WebSockets: `visitors` widget sockets held open (spread over several loopback source
 * addresses, as visitors come from many), agent inbox sockets, and a share of the visitors chatting at a steady rate:
 * each active visitor types, sends a message, and the agent whose inbox announced it replies at once. What is timed,
 * on this process's one clock: from the moment the agent's reply is sent to the moment the visitor's socket receives
 * it, and from a visitor's message to the first inbox socket that announces it. The servers speak the same frames
 * (Rapport's, and the bare baseline's imitation of them); only how an agent replies differs (`ChatTarget.reply`).
 */
import crypto from 'node:crypto';
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { percentileSorted, round } from './stats.ts';

type Frame = { type?: string } & Record<string, unknown>;

export type ChatTarget = {
  name: string;
  /** ws:// URL of a visitor socket. */
  visitorUrl: string;
  /** One per agent: ws:// URL and headers of its inbox socket. */
  agents: Array<{ url: string; headers: Record<string, string> }>;
  /** Loopback source addresses the visitor sockets are spread over. */
  localAddresses: string[];
  /**
   * Sends agent `agent`'s reply to the ticket/conversation the inbox named; resolves when sent (the HTTP answer for
   * Rapport). `socket` is that agent's inbox socket.
   */
  reply(
    agent: number,
    socket: WebSocket,
    at: { ticketId: string; conversationId: string },
    text: string,
  ): Promise<void>;
};

export type PhaseResult = {
  seconds: number;
  visitorMessages: number;
  replies: number;
  /**
   * Visitor messages never acknowledged, never announced to an agent or never answered on the visitor's socket, and
   * replies never received, by the end of the drain time.
   */
  lost: number;
  /** Replies the server refused (HTTP error) or that failed to send. */
  failed: number;
  errorFrames: number;
  /** Reply sent → visitor socket received it, ms. */
  latencies: number[];
  /** Visitor's message sent → first agent inbox socket announced it, ms. */
  inboxLatencies: number[];
  /** Reply call time (the HTTP request for Rapport), ms. */
  replyCallMs: number[];
};

type Visitor = {
  index: number;
  socket: WebSocket;
  conversationId: string | null;
  seq: number;
  timer: NodeJS.Timeout | null;
};

type Sock = { socket: WebSocket; queue: Frame[]; handler: ((f: Frame) => void) | null };

type PendingReply = { t0: number; visitor: number; phase: PhaseResult };

export class ChatLoad {
  private visitors: Visitor[] = [];
  private agentSockets: WebSocket[] = [];
  private closedUnexpectedly = 0;
  private stopping = false;
  /** Visitor messages by id (from the `sent` frame), and inbox announcements that came first. */
  private readonly sentById = new Map<string, { visitor: number; t: number; phase: PhaseResult }>();
  private readonly announced = new Map<string, { ticketId: string; conversationId: string; at: number }>();
  /** Visitor messages sent and not yet acknowledged (`sent`), by client id. */
  private readonly sentAtByClientId = new Map<string, { t: number; phase: PhaseResult }>();
  private readonly replies = new Map<string, PendingReply>();
  private replySeq = 0;
  private phase: PhaseResult | null = null;

  constructor(
    private readonly target: ChatTarget,
    private readonly opts: { visitors: number; active: number; intervalMs: number; log: (m: string) => void },
  ) {}

  get unexpectedCloses(): number {
    return this.closedUnexpectedly;
  }

  /** Opens a socket; frames are queued from the first one (a server may greet before `open` has been handled). */
  private open(url: string, headers: Record<string, string>, localAddress?: string): Promise<Sock> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url, { headers, ...(localAddress ? { localAddress } : {}) });
      const sock: Sock = { socket, queue: [], handler: null };
      socket.on('message', (data) => {
        const f = JSON.parse(String(data)) as Frame;
        if (sock.handler) sock.handler(f);
        else sock.queue.push(f);
      });
      socket.once('open', () => resolve(sock));
      socket.once('error', reject);
      socket.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
    });
  }

  /** Waits for the first frame of a type (earlier frames are dropped), then hands every later frame to `then`. */
  private nextFrame(sock: Sock, type: string, then: (f: Frame) => void, ms = 30_000): Promise<Frame> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${type} frame within ${ms} ms`)), ms);
      const look = (f: Frame) => {
        if (f.type === type) {
          clearTimeout(timer);
          sock.handler = then;
          resolve(f);
          for (const later of sock.queue.splice(0)) then(later);
        } else if (f.type === 'error') {
          clearTimeout(timer);
          reject(new Error(`error frame: ${JSON.stringify(f)}`));
        }
      };
      sock.handler = (f) => {
        if (sock.handler === then) then(f);
        else look(f);
      };
      while (sock.queue.length && sock.handler !== then) look(sock.queue.shift() as Frame);
    });
  }

  /** Opens the agents' inbox sockets, then every visitor socket (50 at a time) with its hello. */
  async connect(): Promise<void> {
    for (const a of this.target.agents) {
      const sock = await this.open(a.url, a.headers);
      const index = this.agentSockets.length;
      await this.nextFrame(sock, 'ready', (f) => this.onAgentFrame(index, f));
      const s = sock.socket;
      this.agentSockets.push(s);
      s.on('close', () => {
        if (!this.stopping) this.closedUnexpectedly++;
      });
    }
    const started = performance.now();
    for (let start = 0; start < this.opts.visitors; start += 50) {
      const batch = [];
      for (let i = start; i < Math.min(this.opts.visitors, start + 50); i++) batch.push(this.openVisitor(i));
      this.visitors.push(...(await Promise.all(batch)));
    }
    this.opts.log(
      `${this.target.name}: ${this.visitors.length} visitor and ${this.agentSockets.length} agent sockets open ` +
        `(${Math.round(performance.now() - started)} ms)`,
    );
  }

  private async openVisitor(index: number): Promise<Visitor> {
    const addresses = this.target.localAddresses;
    const sock = await this.open(this.target.visitorUrl, {}, addresses[index % addresses.length]);
    const s = sock.socket;
    const v: Visitor = { index, socket: s, conversationId: null, seq: 0, timer: null };
    s.send(
      JSON.stringify({ type: 'hello', visitorId: crypto.randomBytes(16).toString('hex'), name: `Visitor ${index}` }),
    );
    const ready = await this.nextFrame(sock, 'ready', (f) => this.onVisitorFrame(v, f));
    if (typeof ready.conversationId === 'string') v.conversationId = ready.conversationId;
    s.on('close', () => {
      if (!this.stopping) this.closedUnexpectedly++;
    });
    return v;
  }

  private onVisitorFrame(v: Visitor, f: Frame): void {
    const now = performance.now();
    if (f.type === 'sent') {
      const message = f.message as { id: string };
      if (typeof f.conversationId === 'string') v.conversationId = f.conversationId;
      const sent = this.sentAtByClientId.get(String(f.clientId));
      this.sentAtByClientId.delete(String(f.clientId));
      if (!sent) return;
      const early = this.announced.get(message.id);
      if (early) {
        this.announced.delete(message.id);
        sent.phase.inboxLatencies.push(early.at - sent.t);
        this.sendReply(v.index, early, sent.phase);
      } else this.sentById.set(message.id, { visitor: v.index, t: sent.t, phase: sent.phase });
    } else if (f.type === 'message') {
      const m = f.message as { from?: string; text?: string };
      const token = /\[(r\d+)\]/.exec(m.text ?? '')?.[1];
      if (m.from !== 'agent' || !token) return;
      const pending = this.replies.get(token);
      if (!pending) return;
      this.replies.delete(token);
      pending.phase.latencies.push(now - pending.t0);
    } else if (f.type === 'error') {
      if (this.phase) this.phase.errorFrames++;
      this.opts.log(`${this.target.name}: visitor ${v.index} got ${JSON.stringify(f)}`);
    }
  }

  private onAgentFrame(_agent: number, f: Frame): void {
    if (f.type !== 'message') return;
    const now = performance.now();
    const messageId = String(f.messageId);
    const at = { ticketId: String(f.ticketId), conversationId: String(f.conversationId), at: now };
    const sent = this.sentById.get(messageId);
    if (sent) {
      // The first inbox socket to announce it; the visitor's own agent answers.
      this.sentById.delete(messageId);
      sent.phase.inboxLatencies.push(now - sent.t);
      this.sendReply(sent.visitor, at, sent.phase);
    } else if (!this.announced.has(messageId)) {
      // Announced before the visitor's `sent` frame came back (or not a visitor's message: agents' replies are
      // announced too); kept briefly.
      this.announced.set(messageId, at);
      if (this.announced.size > 10_000) this.announced.delete(this.announced.keys().next().value as string);
    }
  }

  private sendReply(visitor: number, at: { ticketId: string; conversationId: string }, phase: PhaseResult): void {
    const agent = visitor % this.agentSockets.length;
    const token = `r${++this.replySeq}`;
    const t0 = performance.now();
    this.replies.set(token, { t0, visitor, phase });
    phase.replies++;
    this.target
      .reply(agent, this.agentSockets[agent] as WebSocket, at, `Thanks, we are looking into it [${token}]`)
      .then(
        () => phase.replyCallMs.push(performance.now() - t0),
        (err: Error) => {
          this.replies.delete(token);
          phase.failed++;
          if (phase.failed <= 3) this.opts.log(`${this.target.name}: reply failed: ${err.message}`);
        },
      );
  }

  private schedule(v: Visitor, delayMs: number): void {
    v.timer = setTimeout(
      () => {
        if (!this.phase || v.socket.readyState !== 1) return;
        v.socket.send(JSON.stringify({ type: 'typing', on: true }));
        v.timer = setTimeout(() => {
          if (!this.phase || v.socket.readyState !== 1) return;
          const clientId = `${v.index}-${++v.seq}`;
          this.sentAtByClientId.set(clientId, { t: performance.now(), phase: this.phase });
          this.phase.visitorMessages++;
          v.socket.send(
            JSON.stringify({
              type: 'message',
              text: `Hello, question ${v.seq} about my order ${1000 + v.index}`,
              clientId,
            }),
          );
          // The next message after the interval, ± 20 %, so the load stays steady rather than in waves.
          this.schedule(v, this.opts.intervalMs * (0.8 + Math.random() * 0.4) - 500);
        }, 500);
      },
      Math.max(0, delayMs),
    );
  }

  /** The active visitors chat for `seconds`; then up to `drainMs` for the last replies to arrive. */
  async runPhase(seconds: number, drainMs = 15_000): Promise<PhaseResult> {
    const phase: PhaseResult = {
      seconds,
      visitorMessages: 0,
      replies: 0,
      lost: 0,
      failed: 0,
      errorFrames: 0,
      latencies: [],
      inboxLatencies: [],
      replyCallMs: [],
    };
    this.phase = phase;
    const active = this.visitors.slice(0, this.opts.active);
    for (const v of active) this.schedule(v, Math.random() * this.opts.intervalMs);
    await new Promise((r) => setTimeout(r, seconds * 1000));
    for (const v of active) if (v.timer) clearTimeout(v.timer);
    this.phase = null;
    // Every message of the phase must be acknowledged, announced to an agent and answered, and every answer must
    // reach its visitor: waited for up to drainMs; what is still missing then is lost.
    const deadline = performance.now() + drainMs;
    const missing = () =>
      [...this.replies.values()].filter((p) => p.phase === phase).length +
      [...this.sentById.values()].filter((x) => x.phase === phase).length +
      [...this.sentAtByClientId.values()].filter((x) => x.phase === phase).length;
    while (missing() > 0 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    phase.lost = missing();
    for (const [k, p] of this.replies) if (p.phase === phase) this.replies.delete(k);
    for (const [k, x] of this.sentById) if (x.phase === phase) this.sentById.delete(k);
    for (const [k, x] of this.sentAtByClientId) if (x.phase === phase) this.sentAtByClientId.delete(k);
    return phase;
  }

  async close(): Promise<void> {
    this.stopping = true;
    const all = [...this.visitors.map((v) => v.socket), ...this.agentSockets];
    await Promise.all(
      all.map(
        (s) =>
          new Promise<void>((resolve) => {
            if (s.readyState === 3) return resolve();
            s.once('close', () => resolve());
            s.close();
            setTimeout(() => {
              s.terminate();
              resolve();
            }, 5_000).unref();
          }),
      ),
    );
  }
}

export function latencySummary(values: number[]): { p50Ms: number; p99Ms: number; maxMs: number; count: number } {
  const sorted = Float64Array.from(values).sort();
  return {
    p50Ms: round(percentileSorted(sorted, 50), 2),
    p99Ms: round(percentileSorted(sorted, 99), 2),
    maxMs: round(sorted[sorted.length - 1] ?? Number.NaN, 2),
    count: sorted.length,
  };
}
