import { useEffect, useRef } from 'react';
import { Group, Kbd, Modal, Stack, Table, Text } from '@mantine/core';
import { customerPages, homePage, servicePages, settingsPages } from './pages.ts';

const isMac = typeof navigator !== 'undefined' && /Mac|iPhone|iPad/.test(navigator.platform);
export const modKey = isMac ? '⌘' : 'Ctrl';

function typingIn(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  const tag = target.tagName;
  return tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT' || target.isContentEditable;
}

/**
 * Console-wide single keys and "g then x" sequences (Linear style). Ignored while typing in a field and while a
 * dialog is open, so they never steal keystrokes.
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
        const path = goKeys.get(e.key.toLowerCase());
        if (path) {
          e.preventDefault();
          h.current.go(path);
          return;
        }
      }
      if (e.key === '?') {
        e.preventDefault();
        h.current.showShortcuts();
      } else if (e.key === 'g') {
        pending.current = window.setTimeout(() => (pending.current = null), 1200);
      } else if (e.key === 't' && e.shiftKey) {
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

export function ShortcutsModal({ opened, onClose }: { opened: boolean; onClose: () => void }) {
  const rows: Array<{ keys: string[]; what: string }> = [
    { keys: [`${modKey} K`], what: 'Open the command palette: pages, actions, people' },
    { keys: ['?'], what: 'Show this list' },
    { keys: ['Shift T'], what: 'Switch between light and dark' },
    ...[homePage, ...servicePages, ...customerPages, ...settingsPages]
      .filter((p) => p.hotkey)
      .map((p) => ({ keys: ['g', p.hotkey ?? ''], what: `Go to ${p.label}` })),
    { keys: ['/'], what: 'In a list: search' },
    { keys: ['j'], what: 'In a list: next row (k for the previous one)' },
    { keys: ['Enter'], what: 'In a list: open the row' },
    { keys: ['x'], what: 'In a list: select the row' },
    { keys: ['s'], what: 'On a person: change the stage' },
    { keys: ['Esc'], what: 'Close a dialog or the palette' },
  ];
  return (
    <Modal opened={opened} onClose={onClose} title="Keyboard shortcuts" size="md">
      <Stack gap="xs" data-testid="shortcuts-list">
        <Table withRowBorders={false} verticalSpacing={4}>
          <Table.Tbody>
            {rows.map((r) => (
              <Table.Tr key={r.what}>
                <Table.Td w={150}>
                  <Keys keys={r.keys} />
                </Table.Td>
                <Table.Td>{r.what}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
        <Text fz="xs" c="dimmed">
          Shortcuts pause while you type in a field.
        </Text>
      </Stack>
    </Modal>
  );
}
