import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { newId } from '../../db/ids.ts';
import { AppError } from '../../errors.ts';

/** Largest file kept from a message (RAPPORT_ATTACHMENT_MAX_BYTES, default 20 MB); larger ones are reported, not stored. */
export function attachmentLimitBytes(env: NodeJS.ProcessEnv = process.env): number {
  const n = Number(env.RAPPORT_ATTACHMENT_MAX_BYTES);
  return Number.isFinite(n) && n > 0 ? n : 20 * 1024 * 1024;
}

/**
 * The request body limit of a route that takes files as base64 JSON: the largest file (4 bytes of base64 for 3) and
 * room for the rest of the message; never below the app's own limit.
 */
export function attachmentBodyLimit(base: number): number {
  return Math.max(base, Math.ceil(attachmentLimitBytes() / 3) * 4 + 2_500_000);
}

/** A message's files as its events list them (for webhooks: an integration downloads each with an API key). */
export function attachmentsForEvent(
  ticketId: string,
  files: readonly { id: string; fileName: string; contentType: string; size: number }[],
): Array<{ id: string; fileName: string; contentType: string; size: number; url: string }> {
  return files.map((f) => ({
    id: f.id,
    fileName: f.fileName,
    contentType: f.contentType,
    size: f.size,
    url: `/api/v1/tickets/${ticketId}/attachments/${f.id}`,
  }));
}

/**
 * Refuses files over the limit (413 naming them) before anything is written: for senders who can react — an agent,
 * an integration — where a mail's large file is kept as a note on its message instead.
 */
export function assertAttachmentsFit(files: readonly IncomingAttachment[] | undefined): void {
  const limit = attachmentLimitBytes();
  const tooLarge = (files ?? []).filter((f) => f.content.length > limit);
  if (tooLarge.length)
    throw new AppError(
      'payload_too_large',
      `${tooLarge.map((f) => f.fileName).join(', ')} ${tooLarge.length > 1 ? 'are' : 'is'} larger than the ${Math.round(limit / 1024 / 1024)} MB attachment limit`,
      {
        field: 'attachments',
        limitBytes: limit,
        refused: tooLarge.map((f) => ({ fileName: f.fileName, size: f.content.length })),
      },
    );
}

export type IncomingAttachment = {
  fileName: string;
  contentType: string;
  content: Buffer;
  contentId?: string | null | undefined;
};

export type StoredFile = {
  id: string;
  fileName: string;
  contentType: string;
  size: number;
  sha256: string;
  storageKey: string;
  contentId: string | null;
};

/** A file name safe to show and to send back in Content-Disposition. */
export function cleanFileName(name: string): string {
  // Control characters and quotes would break the header or the display.
  // eslint-disable-next-line no-control-regex
  const unsafe = /[\u0000-\u001f\u007f"]/g;
  const base = path.basename(name.replace(/\\/g, '/')).replace(unsafe, '').trim();
  return (base || 'attachment').slice(0, 200);
}

/**
 * Writes an attachment under `<dataDir>/attachments/<workspace>/<yyyy-mm>/<id>` (written to a temporary name first,
 * so a crash leaves no half file under the final name).
 */
export async function storeAttachment(
  dataDir: string,
  workspaceId: string,
  a: IncomingAttachment,
): Promise<StoredFile> {
  const id = newId();
  const month = new Date().toISOString().slice(0, 7);
  const storageKey = path.posix.join('attachments', workspaceId, month, id);
  const full = path.join(dataDir, storageKey);
  await fs.mkdir(path.dirname(full), { recursive: true });
  await fs.writeFile(`${full}.part`, a.content);
  await fs.rename(`${full}.part`, full);
  return {
    id,
    fileName: cleanFileName(a.fileName),
    contentType: (a.contentType || 'application/octet-stream').slice(0, 200),
    size: a.content.length,
    sha256: crypto.createHash('sha256').update(a.content).digest('hex'),
    storageKey,
    contentId: a.contentId ? a.contentId.replace(/^<|>$/g, '').slice(0, 500) : null,
  };
}

export function attachmentPath(dataDir: string, storageKey: string): string {
  const full = path.resolve(dataDir, storageKey);
  if (!full.startsWith(path.resolve(dataDir) + path.sep)) throw new Error('attachment path escapes the data directory');
  return full;
}
