/**
 * The baseline for live chat: a bare `ws` server (the library under @fastify/websocket) speaking the same frames as
 * Rapport's visitor and inbox sockets, with nothing behind them — no database, no ticket, no check. A visitor's
 * hello maps its id to its socket; a message is acknowledged (`sent`) and announced to every agent socket; an
 * agent's reply is relayed to that one visitor's socket. Env: PORT. Prints `READY <port>`.
 */
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

const visitors = new Map<string, WebSocket>();
const agents = new Set<WebSocket>();

const send = (socket: WebSocket, frame: Record<string, unknown>) => {
  if (socket.readyState === 1) socket.send(JSON.stringify(frame));
};
const parse = (data: Buffer | ArrayBuffer | Buffer[]): Record<string, unknown> | null => {
  try {
    const text = Array.isArray(data)
      ? Buffer.concat(data).toString('utf8')
      : Buffer.from(data as ArrayBuffer).toString('utf8');
    const v: unknown = JSON.parse(text);
    return v && typeof v === 'object' ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
};

const server = http.createServer((_req, res) => res.writeHead(404).end());
const wss = new WebSocketServer({ server, maxPayload: 16 * 1024 });

wss.on('connection', (socket, req) => {
  const path = (req.url ?? '').split('?')[0];
  socket.on('error', () => undefined);
  if (path === '/inbox/ws') {
    agents.add(socket);
    send(socket, { type: 'ready' });
    socket.on('message', (data) => {
      const f = parse(data);
      if (f?.type !== 'reply' || typeof f.conversationId !== 'string') return;
      const v = visitors.get(f.conversationId);
      if (v)
        send(v, {
          type: 'message',
          message: {
            id: crypto.randomUUID(),
            from: 'agent',
            text: f.text,
            author: 'Agent',
            createdAt: new Date().toISOString(),
          },
        });
    });
    socket.on('close', () => agents.delete(socket));
    return;
  }
  if (path !== '/chat/ws') return socket.close(4404, 'unknown path');
  let key: string | null = null;
  socket.on('message', (data) => {
    const f = parse(data);
    if (!f) return;
    if (f.type === 'hello' && typeof f.visitorId === 'string') {
      key = f.visitorId;
      visitors.set(key, socket);
      send(socket, { type: 'ready', conversationId: key, agentsOnline: agents.size > 0, messages: [] });
    } else if (f.type === 'message' && key) {
      const id = crypto.randomUUID();
      const message = { id, from: 'visitor', text: f.text, author: null, createdAt: new Date().toISOString() };
      send(socket, { type: 'sent', clientId: f.clientId ?? null, conversationId: key, message });
      for (const a of agents) send(a, { type: 'message', ticketId: key, conversationId: key, messageId: id });
    } else if (f.type === 'typing' && key) {
      for (const a of agents) send(a, { type: 'typing', ticketId: key, conversationId: key, on: f.on });
    }
  });
  socket.on('close', () => {
    if (key && visitors.get(key) === socket) visitors.delete(key);
  });
});

server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  process.stdout.write(`READY ${(server.address() as AddressInfo).port}\n`);
});

process.once('SIGTERM', () => {
  for (const s of wss.clients) s.terminate();
  wss.close(() => server.close(() => process.exit(0)));
});
