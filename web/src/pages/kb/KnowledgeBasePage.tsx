import { useEffect, useState } from 'react';
import {
  Anchor,
  Badge,
  Box,
  Button,
  Drawer,
  Group,
  Modal,
  NavLink,
  NumberInput,
  Paper,
  SegmentedControl,
  Select,
  Skeleton,
  Stack,
  Table,
  Tabs,
  TagsInput,
  Text,
  TextInput,
  Textarea,
  Typography,
} from '@mantine/core';
import { IconBook2, IconExternalLink, IconFolderPlus, IconPlus, IconSearch } from '@tabler/icons-react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from '../../api/client.ts';
import { kbKeys, useKbArticles, useKbCategories, type KbArticle, type KbCategory } from '../../api/kb.ts';
import { useCan, useMe } from '../../api/queries.ts';
import { ConfirmModal } from '../../components/ConfirmModal.tsx';
import { Empty } from '../../components/Empty.tsx';
import { PageHeader } from '../../components/PageHeader.tsx';
import { relativeTime } from '../../lib/format.ts';
import { notifyError, notifySuccess } from '../../lib/notify.ts';

function StatusBadge({ status }: { status: KbArticle['status'] }) {
  return (
    // max-content: in a narrow table (1280 wide) the column shrank and cut "Published" to "PUBLI…".
    <Badge size="sm" variant="light" color={status === 'published' ? 'teal' : 'gray'} miw="max-content">
      {status === 'published' ? 'Published' : 'Draft'}
    </Badge>
  );
}

function CategoryModal(props: { category: KbCategory | null; onClose: () => void }) {
  const qc = useQueryClient();
  const [name, setName] = useState(props.category?.name ?? '');
  const [description, setDescription] = useState(props.category?.description ?? '');
  const [position, setPosition] = useState<number>(props.category?.position ?? 0);
  const save = useMutation({
    mutationFn: () =>
      api<KbCategory>(props.category ? `/kb/categories/${props.category.id}` : '/kb/categories', {
        method: props.category ? 'PATCH' : 'POST',
        body: { name, description: description || null, position },
      }),
    onSuccess: (c) => {
      notifySuccess(`${c.name} saved`);
      void qc.invalidateQueries({ queryKey: kbKeys.all });
      props.onClose();
    },
    onError: (e) => notifyError(e, 'Could not save the category'),
  });
  return (
    <Modal opened onClose={props.onClose} title={props.category ? 'Category' : 'New category'}>
      <Stack gap="sm">
        <TextInput label="Name" required value={name} onChange={(e) => setName(e.currentTarget.value)} />
        <TextInput
          label="Description"
          description="Shown under the name on the help centre"
          value={description}
          onChange={(e) => setDescription(e.currentTarget.value)}
        />
        <NumberInput
          label="Position"
          description="Lower comes first"
          min={0}
          value={position}
          onChange={(v) => setPosition(typeof v === 'number' ? v : 0)}
        />
        <Group justify="flex-end">
          <Button variant="default" onClick={props.onClose}>
            Cancel
          </Button>
          <Button onClick={() => save.mutate()} loading={save.isPending} disabled={!name.trim()}>
            Save
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}

/** Markdown rendered by the server (the same sanitised HTML the help centre shows). */
function Preview({ body }: { body: string }) {
  const preview = useQuery({
    queryKey: ['kb', 'preview', body],
    queryFn: () => api<{ html: string }>('/kb/preview', { method: 'POST', body: { body } }),
  });
  if (preview.isPending) return <Skeleton h={120} />;
  return (
    <Typography>
      {/* The server sanitised this HTML. */}
      <div data-testid="kb-preview" dangerouslySetInnerHTML={{ __html: preview.data?.html ?? '' }} />
    </Typography>
  );
}

function ArticleEditor(props: {
  article: KbArticle | null;
  categories: KbCategory[];
  canWrite: boolean;
  onClose: () => void;
}) {
  const qc = useQueryClient();
  const [article, setArticle] = useState<KbArticle | null>(props.article);
  const [title, setTitle] = useState(props.article?.title ?? '');
  const [categoryId, setCategoryId] = useState<string | null>(props.article?.categoryId ?? null);
  const [tags, setTags] = useState<string[]>(props.article?.tags ?? []);
  const [body, setBody] = useState(props.article?.body ?? '');
  const [tab, setTab] = useState<string | null>('write');
  const [removing, setRemoving] = useState(false);
  const [leaving, setLeaving] = useState(false);
  const dirty =
    !article ||
    title !== article.title ||
    body !== article.body ||
    categoryId !== article.categoryId ||
    tags.join('\n') !== article.tags.join('\n');

  const done = (a: KbArticle, message: string) => {
    setArticle(a);
    notifySuccess(message);
    void qc.invalidateQueries({ queryKey: kbKeys.all });
  };
  const saveNow = async (): Promise<KbArticle> => {
    const payload = { title, body, categoryId, tags };
    if (!article) return api<KbArticle>('/kb/articles', { method: 'POST', body: payload });
    if (!dirty) return article;
    return api<KbArticle>(`/kb/articles/${article.id}`, { method: 'PATCH', body: payload });
  };
  const save = useMutation({
    mutationFn: saveNow,
    onSuccess: (a) => done(a, a.status === 'published' ? 'Saved; the help centre shows it' : 'Draft saved'),
    onError: (e) => notifyError(e, 'Could not save the article'),
  });
  const publish = useMutation({
    mutationFn: async (to: 'publish' | 'unpublish') => {
      const saved = await saveNow();
      return api<KbArticle>(`/kb/articles/${saved.id}/${to}`, { method: 'POST' });
    },
    onSuccess: (a) => done(a, a.status === 'published' ? 'Published on the help centre' : 'Back to draft'),
    onError: (e) => notifyError(e, 'Could not change the article'),
  });
  const remove = useMutation({
    mutationFn: () => api<void>(`/kb/articles/${article?.id}`, { method: 'DELETE' }),
    onSuccess: () => {
      notifySuccess('Article deleted');
      void qc.invalidateQueries({ queryKey: kbKeys.all });
      props.onClose();
    },
    onError: (e) => notifyError(e, 'Could not delete the article'),
  });
  const busy = save.isPending || publish.isPending;
  // Escape or a click beside the drawer must not throw away an article being written: ask first.
  const unsaved = props.canWrite && (article ? dirty : Boolean(title.trim() || body.trim()));
  const requestClose = () => (unsaved ? setLeaving(true) : props.onClose());
  const published = article?.status === 'published';

  return (
    <Drawer
      opened
      onClose={requestClose}
      position="right"
      size="xl"
      title={
        <Group gap="xs">
          <Text fw={600}>{article ? 'Edit article' : 'New article'}</Text>
          {article && <StatusBadge status={article.status} />}
        </Group>
      }
    >
      <Stack gap="sm">
        <TextInput
          label="Title"
          required
          value={title}
          onChange={(e) => setTitle(e.currentTarget.value)}
          disabled={!props.canWrite}
          data-autofocus
        />
        <Group grow align="flex-start">
          <Select
            label="Category"
            placeholder="No category"
            clearable
            data={props.categories.map((c) => ({ value: c.id, label: c.name }))}
            value={categoryId}
            onChange={setCategoryId}
            disabled={!props.canWrite}
          />
          <TagsInput
            label="Tags"
            placeholder="Type and press Enter"
            value={tags}
            onChange={setTags}
            disabled={!props.canWrite}
          />
        </Group>
        <Tabs value={tab} onChange={setTab} keepMounted={false}>
          <Tabs.List>
            <Tabs.Tab value="write">Write</Tabs.Tab>
            <Tabs.Tab value="preview">Preview</Tabs.Tab>
          </Tabs.List>
          <Tabs.Panel value="write" pt="xs">
            <Textarea
              aria-label="Body (Markdown)"
              description="Markdown: **bold**, _italic_, ## headings, - lists, [links](https://…), tables"
              autosize
              minRows={12}
              maxRows={28}
              value={body}
              onChange={(e) => setBody(e.currentTarget.value)}
              disabled={!props.canWrite}
              styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)', fontSize: 13 } }}
            />
          </Tabs.Panel>
          <Tabs.Panel value="preview" pt="xs">
            <Paper withBorder p="md" radius="sm" mih={200}>
              {body.trim() ? (
                <Preview body={body} />
              ) : (
                <Text c="dimmed" fz="sm">
                  Nothing to preview yet.
                </Text>
              )}
            </Paper>
          </Tabs.Panel>
        </Tabs>
        {article && (
          <Group gap="lg">
            <Text fz="xs" c="dimmed">
              {article.viewCount} views · {article.helpfulCount} found it helpful · {article.notHelpfulCount} did not
            </Text>
            {published && (
              <Anchor href={article.publicPath} target="_blank" rel="noreferrer" fz="xs" data-testid="kb-public-link">
                <Group gap={4}>
                  Open on the help centre <IconExternalLink size={12} />
                </Group>
              </Anchor>
            )}
          </Group>
        )}
        {props.canWrite && (
          <Group justify="space-between" mt="xs">
            <Box>
              {article && (
                <Button variant="subtle" color="red" onClick={() => setRemoving(true)}>
                  Delete
                </Button>
              )}
            </Box>
            <Group gap="xs">
              <Button
                variant="default"
                onClick={() => save.mutate()}
                loading={save.isPending}
                disabled={!title.trim() || busy || (article !== null && !dirty)}
              >
                {published ? 'Save' : 'Save draft'}
              </Button>
              {published ? (
                <Button
                  variant="light"
                  color="gray"
                  onClick={() => publish.mutate('unpublish')}
                  loading={publish.isPending}
                  disabled={busy}
                >
                  Unpublish
                </Button>
              ) : (
                <Button
                  onClick={() => publish.mutate('publish')}
                  loading={publish.isPending}
                  disabled={!title.trim() || busy}
                >
                  Publish
                </Button>
              )}
            </Group>
          </Group>
        )}
      </Stack>
      <ConfirmModal
        opened={leaving}
        title="Discard your changes?"
        message={
          article
            ? 'The changes to this article since it was last saved are lost.'
            : 'This article has not been saved; what you wrote is lost.'
        }
        confirmLabel="Discard"
        cancelLabel="Keep editing"
        danger
        onConfirm={() => {
          setLeaving(false);
          props.onClose();
        }}
        onClose={() => setLeaving(false)}
      />
      <ConfirmModal
        opened={removing}
        title="Delete this article?"
        message="It disappears from the help centre and from suggestions. This cannot be undone."
        confirmLabel="Delete"
        danger
        loading={remove.isPending}
        onConfirm={() => remove.mutate()}
        onClose={() => setRemoving(false)}
      />
    </Drawer>
  );
}

export function KnowledgeBasePage() {
  const me = useMe();
  const can = useCan();
  const canWrite = can('tickets:write');
  const qc = useQueryClient();
  const categories = useKbCategories();
  const [categoryId, setCategoryId] = useState<string>('');
  const [status, setStatus] = useState<string>('');
  const [title, setTitle] = useState('');
  const [debounced, setDebounced] = useState('');
  useEffect(() => {
    const t = setTimeout(() => setDebounced(title.trim()), 250);
    return () => clearTimeout(t);
  }, [title]);
  const articles = useKbArticles({ status, categoryId, title: debounced });
  const [editing, setEditing] = useState<KbArticle | 'new' | null>(null);
  const [editingCategory, setEditingCategory] = useState<KbCategory | 'new' | null>(null);
  const [removingCategory, setRemovingCategory] = useState<KbCategory | null>(null);
  const removeCategory = useMutation({
    mutationFn: (c: KbCategory) => api<void>(`/kb/categories/${c.id}`, { method: 'DELETE' }),
    onSuccess: () => {
      setRemovingCategory(null);
      setCategoryId('');
      void qc.invalidateQueries({ queryKey: kbKeys.all });
    },
    onError: (e) => notifyError(e, 'Could not remove the category'),
  });
  const cats = categories.data?.data ?? [];
  const rows = articles.data?.data ?? [];
  const catName = (id: string | null) => cats.find((c) => c.id === id)?.name ?? '—';
  const helpUrl = `/help/${encodeURIComponent(me.workspace.slug)}`;
  const selected = cats.find((c) => c.id === categoryId) ?? null;

  return (
    <>
      <PageHeader
        title="Knowledge base"
        description="Help articles for your customers and your agents. Published ones appear on the public help centre and as suggestions in the inbox."
        actions={
          <>
            <Button
              component="a"
              href={helpUrl}
              target="_blank"
              rel="noreferrer"
              variant="default"
              leftSection={<IconExternalLink size={16} />}
            >
              Help centre
            </Button>
            {canWrite && (
              <Button leftSection={<IconPlus size={16} />} onClick={() => setEditing('new')}>
                New article
              </Button>
            )}
          </>
        }
      />
      <Group align="flex-start" gap="lg" wrap="nowrap">
        <Stack gap={4} w={220} style={{ flexShrink: 0 }}>
          <Text fz="xs" fw={600} c="dimmed" tt="uppercase" px="sm">
            Categories
          </Text>
          <NavLink
            label="All articles"
            active={!categoryId}
            onClick={() => setCategoryId('')}
            rightSection={<Text fz="xs">{cats.reduce((n, c) => n + c.articleCount, 0) || ''}</Text>}
          />
          {cats.map((c) => (
            <NavLink
              key={c.id}
              label={c.name}
              active={categoryId === c.id}
              onClick={() => setCategoryId(c.id)}
              rightSection={<Text fz="xs">{c.articleCount}</Text>}
            />
          ))}
          {canWrite && (
            <Button
              variant="subtle"
              size="xs"
              leftSection={<IconFolderPlus size={14} />}
              onClick={() => setEditingCategory('new')}
              justify="flex-start"
              mt={4}
            >
              New category
            </Button>
          )}
          {canWrite && selected && (
            <Group gap={4} px="sm">
              <Anchor component="button" fz="xs" onClick={() => setEditingCategory(selected)}>
                Edit category
              </Anchor>
              <Text fz="xs" c="dimmed">
                ·
              </Text>
              <Anchor component="button" fz="xs" c="red" onClick={() => setRemovingCategory(selected)}>
                Remove
              </Anchor>
            </Group>
          )}
        </Stack>
        <Stack gap="sm" style={{ flex: 1, minWidth: 0 }}>
          <Group justify="space-between">
            <TextInput
              placeholder="Find by title"
              aria-label="Find articles by title"
              leftSection={<IconSearch size={14} />}
              value={title}
              onChange={(e) => setTitle(e.currentTarget.value)}
              w={280}
            />
            <SegmentedControl
              size="xs"
              value={status}
              onChange={setStatus}
              data={[
                { value: '', label: 'All' },
                { value: 'published', label: 'Published' },
                { value: 'draft', label: 'Drafts' },
              ]}
            />
          </Group>
          {articles.isPending ? (
            <Skeleton h={160} />
          ) : rows.length === 0 ? (
            <Empty
              icon={<IconBook2 size={28} />}
              title={debounced || status || categoryId ? 'No articles match' : 'No articles yet'}
              description="Write answers to the questions customers ask most: returns, delivery, passwords. Agents get them as suggestions while they reply."
              action={canWrite ? <Button onClick={() => setEditing('new')}>Write an article</Button> : undefined}
            />
          ) : (
            <Table highlightOnHover verticalSpacing="xs" data-testid="kb-articles">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Title</Table.Th>
                  <Table.Th>Category</Table.Th>
                  <Table.Th>Status</Table.Th>
                  <Table.Th ta="right">Views</Table.Th>
                  <Table.Th ta="right">Helpful</Table.Th>
                  <Table.Th>Updated</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {rows.map((a) => (
                  <Table.Tr key={a.id} style={{ cursor: 'pointer' }} onClick={() => setEditing(a)}>
                    <Table.Td>
                      <Anchor component="button" fz="sm" fw={600} onClick={() => setEditing(a)} ta="left">
                        {a.title}
                      </Anchor>
                      {a.tags.length > 0 && (
                        <Text fz="xs" c="dimmed">
                          {a.tags.join(', ')}
                        </Text>
                      )}
                    </Table.Td>
                    <Table.Td fz="sm">{catName(a.categoryId)}</Table.Td>
                    <Table.Td>
                      <StatusBadge status={a.status} />
                    </Table.Td>
                    <Table.Td ta="right" fz="sm">
                      {a.viewCount}
                    </Table.Td>
                    <Table.Td ta="right" fz="sm">
                      {a.helpfulCount + a.notHelpfulCount
                        ? `${Math.round((100 * a.helpfulCount) / (a.helpfulCount + a.notHelpfulCount))}%`
                        : '—'}
                    </Table.Td>
                    <Table.Td fz="sm" c="dimmed">
                      {relativeTime(a.updatedAt)}
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          )}
        </Stack>
      </Group>
      {editing && (
        <ArticleEditor
          key={editing === 'new' ? 'new' : editing.id}
          article={editing === 'new' ? null : editing}
          categories={cats}
          canWrite={canWrite}
          onClose={() => setEditing(null)}
        />
      )}
      {editingCategory && (
        <CategoryModal
          key={editingCategory === 'new' ? 'new' : editingCategory.id}
          category={editingCategory === 'new' ? null : editingCategory}
          onClose={() => setEditingCategory(null)}
        />
      )}
      <ConfirmModal
        opened={Boolean(removingCategory)}
        title="Remove this category?"
        message="Its articles stay, without a category."
        confirmLabel="Remove"
        danger
        loading={removeCategory.isPending}
        onConfirm={() => removingCategory && removeCategory.mutate(removingCategory)}
        onClose={() => setRemovingCategory(null)}
      />
    </>
  );
}
