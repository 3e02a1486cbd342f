// The `ws` package (a dependency of @fastify/websocket) ships no types and @types/ws is not installed: the part of
// its API that Rapport, its tests and its benchmarks use.
declare module 'ws' {
  import type { EventEmitter } from 'node:events';
  import type { IncomingMessage, Server } from 'node:http';

  type RawData = Buffer | ArrayBuffer | Buffer[];

  class WebSocket extends EventEmitter {
    static readonly CONNECTING: 0;
    static readonly OPEN: 1;
    static readonly CLOSING: 2;
    static readonly CLOSED: 3;
    readonly OPEN: 1;
    readonly readyState: 0 | 1 | 2 | 3;
    readonly bufferedAmount: number;
    constructor(
      address: string,
      options?: { headers?: Record<string, string>; maxPayload?: number; localAddress?: string },
    );
    send(data: string | Buffer, cb?: (err?: Error) => void): void;
    close(code?: number, reason?: string): void;
    terminate(): void;
    ping(): void;
    on(event: 'message', listener: (data: RawData, isBinary: boolean) => void): this;
    on(event: 'close', listener: (code: number, reason: Buffer) => void): this;
    on(event: 'error', listener: (err: Error) => void): this;
    on(event: 'open' | 'pong', listener: () => void): this;
    on(event: 'unexpected-response', listener: (req: unknown, res: IncomingMessage) => void): this;
    once(event: 'open', listener: () => void): this;
    once(event: 'close', listener: (code: number, reason: Buffer) => void): this;
    once(event: 'error', listener: (err: Error) => void): this;
    once(event: 'unexpected-response', listener: (req: unknown, res: IncomingMessage) => void): this;
  }

  class WebSocketServer extends EventEmitter {
    constructor(options: { server?: Server; noServer?: boolean; maxPayload?: number });
    clients: Set<WebSocket>;
    on(event: 'connection', listener: (socket: WebSocket, req: IncomingMessage) => void): this;
    close(cb?: (err?: Error) => void): void;
  }

  namespace WebSocket {
    export { RawData };
  }

  export { WebSocket, WebSocketServer, type RawData };
  export default WebSocket;
}
