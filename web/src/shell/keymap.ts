/**
 * The console's keyboard shortcuts, in one place: the handlers read their keys from here and the shortcuts dialog
 * (`shortcuts.tsx`) lists them from here, so the dialog cannot say one thing while a page does another.
 */

export type KeyDef = {
  /** `KeyboardEvent.key` of the key (case-sensitive, as the event gives it). */
  key: string;
  /** What the dialog shows, one entry per key pressed in turn ("g", then "i"). */
  label: string[];
  /** Ctrl (⌘ on a Mac) held with it. */
  mod?: boolean;
  shift?: boolean;
  what: string;
};

const isMac = typeof navigator !== 'undefined' && /Mac|iPhone|iPad/.test(navigator.platform);
export const modKey = isMac ? '⌘' : 'Ctrl';

/** Console-wide keys (besides the "g then x" jumps, which `pages.ts` names per page). */
export const globalKeys = {
  palette: { key: 'k', mod: true, label: [`${modKey} K`], what: 'Open the command palette: pages, actions, people' },
  shortcuts: { key: '?', label: ['?'], what: 'Show this list' },
  theme: { key: 'T', shift: true, label: ['Shift T'], what: 'Switch between light and dark' },
  go: { key: 'g', label: ['g'], what: 'Then a letter: go to a page' },
  close: { key: 'Escape', label: ['Esc'], what: 'Close a dialog or the palette' },
} satisfies Record<string, KeyDef>;

/** People and companies lists (`pages/customers/list.tsx`). */
export const listKeys = {
  search: { key: '/', label: ['/'], what: 'Search the list' },
  next: { key: 'j', label: ['j'], what: 'Next row (or ↓)' },
  previous: { key: 'k', label: ['k'], what: 'Previous row (or ↑)' },
  open: { key: 'Enter', label: ['Enter'], what: 'Open the row' },
  select: { key: 'x', label: ['x'], what: 'Select the row' },
} satisfies Record<string, KeyDef>;

/** A person's page. */
export const personKeys = {
  stage: { key: 's', label: ['s'], what: 'Change the stage' },
} satisfies Record<string, KeyDef>;

/** The inbox (`pages/inbox/InboxPage.tsx`). */
export const inboxKeys = {
  next: { key: 'j', label: ['j'], what: 'Open the next ticket in the list' },
  previous: { key: 'k', label: ['k'], what: 'Open the previous ticket in the list' },
  reply: { key: 'r', label: ['r'], what: 'Write a reply (or a note) on the open ticket' },
  send: { key: 'Enter', mod: true, label: [`${modKey} Enter`], what: 'Send the reply or add the note' },
  take: { key: 'a', label: ['a'], what: 'Assign the open ticket to me' },
  solve: { key: 'e', label: ['e'], what: 'Solve the open ticket' },
  select: { key: 'x', label: ['x'], what: 'Tick the open ticket, to change several at once' },
} satisfies Record<string, KeyDef>;

/** Whether a key event is this shortcut (modifiers included: `j` is not Ctrl J). */
export function matches(e: KeyboardEvent | React.KeyboardEvent, def: KeyDef): boolean {
  const mod = e.ctrlKey || e.metaKey;
  return (
    e.key === def.key && mod === Boolean(def.mod) && !e.altKey && (def.shift === undefined || e.shiftKey === def.shift)
  );
}

export function typingIn(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  const tag = target.tagName;
  return tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT' || target.isContentEditable;
}

let sequenceUntil = 0;

/** Called by the console's handler when "g" starts a jump: the next key belongs to the jump, not to the page. */
export function startSequence(ms: number): void {
  sequenceUntil = Date.now() + ms;
}

export function endSequence(): void {
  sequenceUntil = 0;
}

export function inSequence(): boolean {
  return Date.now() < sequenceUntil;
}

/**
 * Whether a page's single-key shortcut should leave this event alone: typed into a field, with a modifier, while a
 * dialog is open, already handled, or the second key of a "g then x" jump ("g a" opens the activity log; it must not
 * also take the open ticket).
 */
export function ignoreKey(e: KeyboardEvent): boolean {
  return (
    e.defaultPrevented ||
    e.ctrlKey ||
    e.metaKey ||
    e.altKey ||
    typingIn(e.target) ||
    inSequence() ||
    document.querySelector('[role="dialog"]') !== null
  );
}
