import { useEffect, useRef } from 'react';
import { Group, Kbd, Modal, ScrollArea, Stack, Table, Text, Title } from '@mantine/core';
import { customerPages, homePage, servicePages, settingsPages } from './pages.ts';
import {
  endSequence,
  globalKeys,
  inboxKeys,
  listKeys,
  personKeys,
  startSequence,
  typingIn,
  type KeyDef,
} from './keymap.ts';

export { modKey } from './keymap.ts';

const sequenceMs = 1200;

/**
 * Console-wide single keys and "g then x" sequences (Linear style). Ignored while typing in a field and while a
 * dialog is open, so they never steal keystrokes. While a "g" waits for its letter, pages leave that letter alone
 * (`ignoreKey` in keymap.ts).
 */
export function useGlobalShortcuts(handlers: {
  go: (path: string) => void;
  showShortcuts: () => void;
  toggleTheme: () => void;
}): void {
  const pending = useRef<number | null>(null);
  const h = useRef(handlers);
  useEffect(() => {
    h.current = handlers;
  });
  useEffect(() => {
    const goKeys = new Map<string, string>();
    for (const p of [homePage, ...servicePages, ...customerPages, ...settingsPages])
      if (p.hotkey) goKeys.set(p.hotkey, p.path);
    function onKey(e: KeyboardEvent) {
      if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey || typingIn(e.target)) return;
      if (document.querySelector('[role="dialog"]')) return;
      if (pending.current !== null) {
        window.clearTimeout(pending.current);
        pending.current = null;
        // Ended after this event's other listeners ran (a page's listener may come after this one).
        window.setTimeout(endSequence, 0);
        const path = goKeys.get(e.key.toLowerCase());
        if (path) {
          e.preventDefault();
          h.current.go(path);
          return;
        }
      }
      if (e.key === globalKeys.shortcuts.key) {
        e.preventDefault();
        h.current.showShortcuts();
      } else if (e.key === globalKeys.go.key) {
        startSequence(sequenceMs);
        pending.current = window.setTimeout(() => {
          pending.current = null;
          endSequence();
        }, sequenceMs);
      } else if (e.key.toLowerCase() === globalKeys.theme.key.toLowerCase() && e.shiftKey) {
        h.current.toggleTheme();
      }
    }
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
}

function Keys({ keys }: { keys: string[] }) {
  return (
    <Group gap={4} wrap="nowrap">
      {keys.map((k, i) => (
        <Group key={i} gap={4} wrap="nowrap">
          {i > 0 && (
            <Text span fz="xs" c="dimmed">
              then
            </Text>
          )}
          <Kbd size="xs">{k}</Kbd>
        </Group>
      ))}
    </Group>
  );
}

type Row = { keys: string[]; what: string };
const rowsOf = (defs: Record<string, KeyDef>): Row[] =>
  Object.values(defs).map((d) => ({ keys: d.label, what: d.what }));

/** The dialog's sections, in order: everything it lists comes from keymap.ts and pages.ts. */
export function shortcutGroups(): Array<{ id: string; title: string; rows: Row[] }> {
  return [
    { id: 'global', title: 'Everywhere', rows: rowsOf(globalKeys).filter((r) => r.keys[0] !== globalKeys.go.label[0]) },
    {
      id: 'go',
      title: 'Go to a page',
      rows: [homePage, ...servicePages, ...customerPages, ...settingsPages]
        .filter((p) => p.hotkey)
        .map((p) => ({ keys: ['g', p.hotkey ?? ''], what: p.label })),
    },
    { id: 'inbox', title: 'Inbox', rows: rowsOf(inboxKeys) },
    { id: 'lists', title: 'People and companies lists', rows: rowsOf(listKeys) },
    { id: 'person', title: 'A person', rows: rowsOf(personKeys) },
  ];
}

export function ShortcutsModal({ opened, onClose }: { opened: boolean; onClose: () => void }) {
  return (
    <Modal
      opened={opened}
      onClose={onClose}
      title="Keyboard shortcuts"
      size="lg"
      scrollAreaComponent={ScrollArea.Autosize}
    >
      <Stack gap="md" data-testid="shortcuts-list">
        {shortcutGroups().map((g) => (
          <section key={g.id} data-testid={`shortcuts-${g.id}`} aria-labelledby={`shortcuts-${g.id}-title`}>
            <Title order={3} fz="xs" fw={600} c="dimmed" tt="uppercase" lts={0.4} mb={4} id={`shortcuts-${g.id}-title`}>
              {g.title}
            </Title>
            <Table withRowBorders={false} verticalSpacing={3}>
              <Table.Tbody>
                {g.rows.map((r) => (
                  <Table.Tr key={r.keys.join(' ')} data-shortcut={r.keys.join(' ')}>
                    <Table.Td w={150}>
                      <Keys keys={r.keys} />
                    </Table.Td>
                    <Table.Td>{r.what}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </section>
        ))}
        <Text fz="xs" c="dimmed">
          Shortcuts pause while you type in a field. Single keys act on the page you are on.
        </Text>
      </Stack>
    </Modal>
  );
}
