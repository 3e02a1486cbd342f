import type { IncomingMessage } from 'node:http';
import WebSocket from 'ws';

export type Frame = { type: string } & Record<string, unknown>;

/** A real WebSocket client that keeps every frame it receives, for tests to wait on. */
export type TestSocket = {
  socket: WebSocket;
  frames: Frame[];
  send(frame: unknown): void;
  sendRaw(data: string | Buffer): void;
  /** The first frame not yet taken that matches (by type, or a predicate); fails after `ms` without one. */
  next(match: string | ((f: Frame) => boolean), ms?: number): Promise<Frame>;
  /** Resolves with the close code. */
  closed: Promise<number>;
  close(): Promise<void>;
};

/** Opens a socket; rejects with the HTTP status when the server refuses the upgrade. */
export function openSocket(url: string, headers: Record<string, string> = {}): Promise<TestSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { headers });
    const frames: Frame[] = [];
    const taken = new Set<number>();
    const waiters: Array<() => void> = [];
    let closeCode: (code: number) => void = () => undefined;
    const closed = new Promise<number>((r) => (closeCode = r));
    socket.on('message', (data) => {
      frames.push(JSON.parse(Buffer.isBuffer(data) ? data.toString('utf8') : String(data)) as Frame);
      for (const w of waiters.splice(0)) w();
    });
    socket.on('close', (code) => {
      closeCode(code);
      for (const w of waiters.splice(0)) w();
    });
    socket.once('error', (err) => reject(err));
    socket.once('unexpected-response', (_req, res: IncomingMessage) =>
      reject(Object.assign(new Error(`upgrade refused: ${res.statusCode}`), { statusCode: res.statusCode })),
    );
    const next = (match: string | ((f: Frame) => boolean), ms = 10_000) =>
      new Promise<Frame>((res, rej) => {
        const pred = typeof match === 'string' ? (f: Frame) => f.type === match : match;
        const timer = setTimeout(
          () => rej(new Error(`no frame ${String(match)} within ${ms} ms; got ${JSON.stringify(frames)}`)),
          ms,
        );
        const look = () => {
          const i = frames.findIndex((f, idx) => !taken.has(idx) && pred(f));
          if (i >= 0) {
            taken.add(i);
            clearTimeout(timer);
            res(frames[i] as Frame);
          } else waiters.push(look);
        };
        look();
      });
    socket.once('open', () =>
      resolve({
        socket,
        frames,
        send: (f) => socket.send(JSON.stringify(f)),
        sendRaw: (d) => socket.send(d),
        next,
        closed,
        close: async () => {
          if (socket.readyState !== WebSocket.CLOSED) {
            socket.close();
            await closed;
          }
        },
      }),
    );
  });
}
