/**
 * Rapport's live chat widget: one <script src=".../widget.js" data-channel="<id>" async> on any page. No framework;
 * everything lives in a shadow root so the host page's CSS neither leaks in nor is touched. Optional attributes:
 * data-user-id + data-user-hash (HMAC-SHA256 of the user id with the channel secret, hex) for signed-in customers,
 * data-name, data-email, data-title.
 */

type ChatMessage = { id: string; from: 'visitor' | 'agent'; text: string; author: string | null; createdAt: string };

type ServerFrame =
  | {
      type: 'ready';
      conversationId: string | null;
      agentsOnline: boolean;
      email: string | null;
      messages: ChatMessage[];
    }
  | { type: 'message'; message: ChatMessage }
  | { type: 'sent'; clientId: string | null; message: ChatMessage }
  | { type: 'typing'; on: boolean }
  | { type: 'read'; messageId: string }
  | { type: 'agents'; online: boolean }
  | { type: 'email_saved'; email: string }
  | { type: 'error'; code: string; message: string };

const css = `
:host{all:initial}
*{box-sizing:border-box;font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
.launch{position:fixed;right:20px;bottom:20px;width:56px;height:56px;border-radius:50%;border:0;background:#1c64f2;color:#fff;cursor:pointer;box-shadow:0 4px 14px rgba(0,0,0,.25);z-index:2147483000;font-size:24px}
.launch:focus-visible,button:focus-visible,textarea:focus-visible,input:focus-visible{outline:3px solid #f59e0b;outline-offset:2px}
.panel{position:fixed;right:20px;bottom:88px;width:340px;max-width:calc(100vw - 40px);height:460px;max-height:calc(100vh - 120px);display:flex;flex-direction:column;background:#fff;color:#111827;border-radius:12px;box-shadow:0 10px 30px rgba(0,0,0,.25);overflow:hidden;z-index:2147483000;font-size:14px}
.panel[hidden]{display:none}
header{background:#1c64f2;color:#fff;padding:12px 14px}
header h2{margin:0;font-size:16px}
header p{margin:2px 0 0;font-size:12px;opacity:.9}
.log{flex:1;overflow-y:auto;padding:12px;display:flex;flex-direction:column;gap:6px;background:#f9fafb}
.m{max-width:80%;padding:8px 10px;border-radius:10px;white-space:pre-wrap;word-wrap:break-word;line-height:1.35}
.visitor{align-self:flex-end;background:#1c64f2;color:#fff}
.agent{align-self:flex-start;background:#e5e7eb;color:#111827}
.who{display:block;font-size:11px;color:#4b5563;margin-bottom:2px}
.status{font-size:12px;color:#4b5563;padding:0 12px;min-height:18px}
form{display:flex;gap:6px;padding:10px;border-top:1px solid #e5e7eb}
textarea,input{flex:1;resize:none;border:1px solid #9ca3af;border-radius:8px;padding:8px;font-size:14px;color:#111827;background:#fff}
button.send{border:0;border-radius:8px;background:#1c64f2;color:#fff;padding:0 14px;cursor:pointer;font-size:14px}
.away{padding:10px;border-top:1px solid #e5e7eb;background:#fffbeb}
.away p{margin:0 0 6px}
.away form{padding:0;border:0}
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
`;

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  text?: string,
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

function randomId(): string {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

function start(script: HTMLScriptElement) {
  const data = script.dataset;
  const channel = data.channel;
  if (!channel) return;
  const base = new URL(script.src, location.href);
  const wsUrl = `${base.protocol === 'https:' ? 'wss' : 'ws'}://${base.host}/chat/ws?channel=${encodeURIComponent(channel)}`;
  const storeKey = `rapport-chat:${channel}`;
  let visitorId = '';
  try {
    visitorId = localStorage.getItem(storeKey) ?? '';
    if (!visitorId) localStorage.setItem(storeKey, (visitorId = randomId()));
  } catch {
    visitorId = randomId();
  }

  const host = el('div', { 'data-rapport-chat': '' });
  document.body.appendChild(host);
  const root = host.attachShadow({ mode: 'open' });
  root.appendChild(el('style', {}, css));

  const title = data.title || 'Chat with us';
  const launch = el(
    'button',
    { class: 'launch', type: 'button', 'aria-label': 'Open chat', 'aria-expanded': 'false' },
    '💬',
  );
  const panel = el('section', { class: 'panel', role: 'dialog', 'aria-label': title, hidden: '' });
  const header = el('header');
  header.append(el('h2', {}, title));
  const presence = el('p', {}, 'Connecting…');
  header.append(presence);
  const log = el('div', { class: 'log', role: 'log', 'aria-live': 'polite', 'aria-label': 'Conversation' });
  const status = el('div', { class: 'status', 'aria-live': 'polite' });
  const form = el('form');
  const input = el('textarea', { rows: '2', 'aria-label': 'Message', placeholder: 'Write a message…' });
  const send = el('button', { class: 'send', type: 'submit' }, 'Send');
  form.append(input, send);
  const away = el('div', { class: 'away', hidden: '' });
  const awayText = el('p', {}, "We're away right now. Leave your email and we'll answer there.");
  const emailForm = el('form');
  const emailInput = el('input', {
    type: 'email',
    'aria-label': 'Your email',
    placeholder: 'you@example.com',
    required: '',
  });
  emailForm.append(emailInput, el('button', { class: 'send', type: 'submit' }, 'Save'));
  away.append(awayText, emailForm);
  panel.append(header, log, status, away, form);
  root.append(launch, panel);

  const shown = new Set<string>();
  let socket: WebSocket | null = null;
  let retry = 1000;
  let email: string | null = data.email || null;
  let agentsOnline = false;
  let ready = false;
  let agentTyping = false;
  let seenId: string | null = null;
  let lastReadSent: string | null = null;
  let typingSentAt = 0;
  let typingTimer: ReturnType<typeof setTimeout> | undefined;
  const pending: string[] = [];

  const frame = (f: Record<string, unknown>) => {
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(f));
  };

  function renderStatus() {
    presence.textContent = agentsOnline ? "We're online" : "We're away";
    status.textContent = agentTyping ? 'Agent is typing…' : seenId ? 'Seen' : '';
    away.hidden = agentsOnline || !ready;
    awayText.textContent = email
      ? `We're away right now. We'll answer at ${email}.`
      : "We're away right now. Leave your email and we'll answer there.";
    emailForm.hidden = !!email;
  }

  function markRead() {
    if (panel.hidden) return;
    const agentMsgs = log.querySelectorAll<HTMLElement>('.agent');
    const last = agentMsgs[agentMsgs.length - 1]?.dataset.id;
    if (last && last !== lastReadSent) {
      lastReadSent = last;
      frame({ type: 'read', messageId: last });
    }
  }

  function add(m: ChatMessage) {
    if (shown.has(m.id)) return;
    shown.add(m.id);
    const b = el('div', { class: `m ${m.from}`, 'data-id': m.id });
    if (m.from === 'agent') b.append(el('span', { class: 'who' }, m.author ?? 'Support'));
    else b.append(el('span', { class: 'sr' }, 'You: '));
    b.append(document.createTextNode(m.text));
    log.append(b);
    log.scrollTop = log.scrollHeight;
    if (m.from === 'agent') {
      agentTyping = false;
      seenId = null;
    }
    markRead();
  }

  function onFrame(f: ServerFrame) {
    if (f.type === 'ready') {
      retry = 1000;
      ready = true;
      agentsOnline = f.agentsOnline;
      email = email ?? f.email;
      f.messages.forEach(add);
      for (const text of pending.splice(0)) frame({ type: 'message', text });
    } else if (f.type === 'message' || f.type === 'sent') add(f.message);
    else if (f.type === 'typing') agentTyping = f.on;
    else if (f.type === 'read') seenId = f.messageId;
    else if (f.type === 'agents') agentsOnline = f.online;
    else if (f.type === 'email_saved') email = f.email;
    else if (f.type === 'error') status.textContent = f.message;
    if (f.type !== 'error') renderStatus();
  }

  function connect() {
    const s = new WebSocket(wsUrl);
    socket = s;
    s.onopen = () => {
      const hello: Record<string, unknown> = { type: 'hello', visitorId };
      if (data.name) hello.name = data.name;
      if (data.email) hello.email = data.email;
      if (data.userId && data.userHash) Object.assign(hello, { userId: data.userId, userHash: data.userHash });
      s.send(JSON.stringify(hello));
    };
    s.onmessage = (ev) => {
      try {
        onFrame(JSON.parse(String(ev.data)) as ServerFrame);
      } catch {
        /* a frame we do not understand */
      }
    };
    s.onclose = (ev) => {
      if (socket !== s) return;
      socket = null;
      presence.textContent = 'Reconnecting…';
      if (ev.code === 4401 || ev.code === 4404) return;
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 30000);
    };
  }

  function toggle(open: boolean) {
    panel.hidden = !open;
    launch.setAttribute('aria-expanded', String(open));
    launch.setAttribute('aria-label', open ? 'Close chat' : 'Open chat');
    if (open) {
      input.focus();
      markRead();
    }
  }

  launch.addEventListener('click', () => toggle(panel.hidden));
  panel.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') {
      toggle(false);
      launch.focus();
    }
  });
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    input.value = '';
    if (socket && socket.readyState === WebSocket.OPEN) frame({ type: 'message', text });
    else pending.push(text);
    frame({ type: 'typing', on: false });
    typingSentAt = 0;
  });
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey) {
      e.preventDefault();
      form.requestSubmit();
    }
  });
  input.addEventListener('input', () => {
    const now = Date.now();
    if (now - typingSentAt > 2000) {
      typingSentAt = now;
      frame({ type: 'typing', on: true });
    }
    clearTimeout(typingTimer);
    typingTimer = setTimeout(() => {
      typingSentAt = 0;
      frame({ type: 'typing', on: false });
    }, 4000);
  });
  emailForm.addEventListener('submit', (e) => {
    e.preventDefault();
    if (emailInput.value.trim()) frame({ type: 'email', email: emailInput.value.trim() });
  });

  connect();
}

const current = document.currentScript as HTMLScriptElement | null;
const script = current?.dataset.channel ? current : document.querySelector<HTMLScriptElement>('script[data-channel]');
if (script) {
  if (document.body) start(script);
  else document.addEventListener('DOMContentLoaded', () => start(script));
}
