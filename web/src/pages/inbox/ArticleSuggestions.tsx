import { Anchor, Button, Group, Paper, Text, Tooltip } from '@mantine/core';
import { IconBook2, IconLink } from '@tabler/icons-react';
import { useTicketSuggestions } from '../../api/kb.ts';

/**
 * "Suggested articles" under the composer: published help articles that match the ticket (its subject and the
 * customer's last message), each with a button that puts a link to the public article into the reply.
 */
export function ArticleSuggestions(props: {
  ticketId: string;
  lastMessageId: string | undefined;
  onInsert: (text: string) => void;
}) {
  const suggestions = useTicketSuggestions(props.ticketId, props.lastMessageId);
  const hits = suggestions.data?.data ?? [];
  if (!hits.length) return null;
  return (
    <Paper withBorder radius="sm" p={6} mt="xs" data-testid="article-suggestions" aria-label="Suggested articles">
      <Group gap={6} mb={4}>
        <IconBook2 size={14} stroke={1.6} />
        <Text fz="xs" fw={600}>
          Suggested articles
        </Text>
      </Group>
      {hits.map((h) => {
        const url = `${window.location.origin}${h.publicPath}`;
        return (
          <Group key={h.id} gap="xs" wrap="nowrap" justify="space-between" py={2}>
            <Tooltip label={h.reason} openDelay={300}>
              <Anchor
                href={h.publicPath}
                target="_blank"
                rel="noreferrer"
                fz="sm"
                lineClamp={2}
                style={{ flex: 1, minWidth: 0 }}
              >
                {h.title}
              </Anchor>
            </Tooltip>
            <Button
              size="compact-xs"
              variant="light"
              style={{ flexShrink: 0 }}
              leftSection={<IconLink size={12} />}
              onClick={() => props.onInsert(`${h.title}: ${url}`)}
              aria-label={`Insert a link to “${h.title}” into the reply`}
            >
              Insert
            </Button>
          </Group>
        );
      })}
    </Paper>
  );
}
