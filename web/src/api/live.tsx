/**
 * The console's live feed (GET /api/v1/inbox/ws): ticket changes refresh the affected queries at once, and chat
 * tickets show the visitor typing, reading and being online. Polling stays as the fallback (slower while connected).
 */
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { setLiveConnected, ticketKeys } from './tickets.ts';

type ServerFrame =
  | { type: 'ready' }
  | { type: 'message'; ticketId: string; conversationId: string; messageId: string }
  | { type: 'ticket'; ticketId: string }
  | { type: 'typing'; ticketId: string; conversationId: string; on: boolean }
  | { type: 'read'; ticketId: string; conversationId: string; messageId: string }
  | { type: 'visitor'; ticketId: string | null; conversationId: string; online: boolean }
  | { type: 'error'; code: string; message: string };

type LiveState = {
  connected: boolean;
  /** Tickets whose chat visitor is typing. */
  typing: Set<string>;
  /** The newest agent message each chat visitor has read, by ticket. */
  readUpTo: Record<string, string>;
  /** Chat conversations whose visitor is connected (as far as this console has heard). */
  visitorOnline: Record<string, boolean>;
  sendTyping(ticketId: string, on: boolean): void;
  sendRead(ticketId: string, messageId: string): void;
};

const LiveContext = createContext<LiveState | null>(null);

const typingTtlMs = 6000;

export function LiveInboxProvider({ children }: { children: ReactNode }) {
  const qc = useQueryClient();
  const [connected, setConnected] = useState(false);
  const [typingUntil, setTypingUntil] = useState<Record<string, number>>({});
  const [readUpTo, setReadUpTo] = useState<Record<string, string>>({});
  const [visitorOnline, setVisitorOnline] = useState<Record<string, boolean>>({});
  const [now, setNow] = useState(() => Date.now());
  const socket = useRef<WebSocket | null>(null);

  useEffect(() => {
    let stopped = false;
    let retry = 1000;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const refresh = (ticketId: string) => {
      void qc.invalidateQueries({ queryKey: ticketKeys.one(ticketId) });
      void qc.invalidateQueries({ queryKey: ['tickets', 'list'] });
      void qc.invalidateQueries({ queryKey: ticketKeys.queues });
    };
    const connect = () => {
      const s = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/v1/inbox/ws`);
      socket.current = s;
      s.onmessage = (ev) => {
        let f: ServerFrame;
        try {
          f = JSON.parse(String(ev.data)) as ServerFrame;
        } catch {
          return;
        }
        if (f.type === 'ready') {
          retry = 1000;
          setLiveConnected(true);
          setConnected(true);
          // Anything missed while disconnected.
          void qc.invalidateQueries({ queryKey: ticketKeys.all });
        } else if (f.type === 'message' || f.type === 'ticket') {
          refresh(f.ticketId);
          if (f.type === 'message') setTypingUntil(({ [f.ticketId]: _gone, ...rest }) => rest);
        } else if (f.type === 'typing') {
          const { ticketId, on } = f;
          setTypingUntil((t) => {
            const { [ticketId]: _old, ...rest } = t;
            return on ? { ...rest, [ticketId]: Date.now() + typingTtlMs } : rest;
          });
        } else if (f.type === 'read') setReadUpTo((r) => ({ ...r, [f.ticketId]: f.messageId }));
        else if (f.type === 'visitor') setVisitorOnline((v) => ({ ...v, [f.conversationId]: f.online }));
      };
      s.onclose = () => {
        if (socket.current === s) socket.current = null;
        setLiveConnected(false);
        setConnected(false);
        if (stopped) return;
        timer = setTimeout(connect, retry);
        retry = Math.min(retry * 2, 30_000);
      };
    };
    connect();
    return () => {
      stopped = true;
      clearTimeout(timer);
      setLiveConnected(false);
      socket.current?.close();
    };
  }, [qc]);

  // Typing indicators fade on their own if the "stopped" frame never comes.
  const anyTyping = Object.keys(typingUntil).length > 0;
  useEffect(() => {
    if (!anyTyping) return;
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, [anyTyping]);

  const send = useCallback((frame: Record<string, unknown>) => {
    const s = socket.current;
    if (s && s.readyState === WebSocket.OPEN) s.send(JSON.stringify(frame));
  }, []);

  const value = useMemo<LiveState>(
    () => ({
      connected,
      typing: new Set(
        Object.entries(typingUntil)
          .filter(([, until]) => until > now)
          .map(([id]) => id),
      ),
      readUpTo,
      visitorOnline,
      sendTyping: (ticketId, on) => send({ type: 'typing', ticketId, on }),
      sendRead: (ticketId, messageId) => send({ type: 'read', ticketId, messageId }),
    }),
    [connected, typingUntil, now, readUpTo, visitorOnline, send],
  );
  return <LiveContext.Provider value={value}>{children}</LiveContext.Provider>;
}

const offline: LiveState = {
  connected: false,
  typing: new Set(),
  readUpTo: {},
  visitorOnline: {},
  sendTyping: () => undefined,
  sendRead: () => undefined,
};

export function useLiveInbox(): LiveState {
  return useContext(LiveContext) ?? offline;
}
