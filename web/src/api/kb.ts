/** Shapes and queries of the knowledge base. */
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { api } from './client.ts';

export type KbCategory = {
  id: string;
  name: string;
  slug: string;
  description: string | null;
  position: number;
  articleCount: number;
  publishedCount: number;
};

export type KbArticle = {
  id: string;
  title: string;
  slug: string;
  categoryId: string | null;
  status: 'draft' | 'published';
  tags: string[];
  body: string;
  bodyHtml: string;
  excerpt: string;
  authorId: string | null;
  publishedAt: string | null;
  viewCount: number;
  helpfulCount: number;
  notHelpfulCount: number;
  publicPath: string;
  createdAt: string;
  updatedAt: string;
};

export type KbArticleHit = {
  id: string;
  title: string;
  slug: string;
  status: 'draft' | 'published';
  excerpt: string;
  publicPath: string;
  score: number;
  matched: string[];
  reason: string;
};

export const kbKeys = {
  all: ['kb'] as const,
  categories: ['kb', 'categories'] as const,
  articles: (q: Record<string, string>) => ['kb', 'articles', q] as const,
  suggestions: (ticketId: string, lastMessageId: string | undefined) =>
    ['kb', 'suggestions', ticketId, lastMessageId ?? ''] as const,
};

export function useKbCategories() {
  return useQuery({
    queryKey: kbKeys.categories,
    queryFn: () => api<{ data: KbCategory[] }>('/kb/categories'),
  });
}

export function useKbArticles(q: { status?: string; categoryId?: string; title?: string }) {
  const filter = [
    ...(q.status ? [`status:eq:${q.status}`] : []),
    ...(q.categoryId ? [`category_id:eq:${q.categoryId}`] : []),
  ];
  const key = { status: q.status ?? '', categoryId: q.categoryId ?? '', title: q.title ?? '' };
  return useQuery({
    queryKey: kbKeys.articles(key),
    queryFn: () =>
      api<{ data: KbArticle[] }>('/kb/articles', {
        query: { limit: 200, sort: '-updated_at', filter, q: q.title },
      }),
    placeholderData: keepPreviousData,
  });
}

/** Articles for the open ticket; asked again when a new message arrives. */
export function useTicketSuggestions(ticketId: string, lastMessageId: string | undefined) {
  return useQuery({
    queryKey: kbKeys.suggestions(ticketId, lastMessageId),
    queryFn: () => api<{ data: KbArticleHit[] }>(`/tickets/${ticketId}/suggestions`, { query: { limit: 3 } }),
    staleTime: 60_000,
  });
}
