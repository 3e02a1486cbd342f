import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { newId } from '../../db/ids.ts';

/** Largest file kept from a message (RAPPORT_ATTACHMENT_MAX_BYTES, default 20 MB); larger ones are reported, not stored. */
export function attachmentLimitBytes(env: NodeJS.ProcessEnv = process.env): number {
  const n = Number(env.RAPPORT_ATTACHMENT_MAX_BYTES);
  return Number.isFinite(n) && n > 0 ? n : 20 * 1024 * 1024;
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
  const base = path
    .basename(name.replace(/\\/g, '/'))
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u001f\u007f"]/g, '')
    .trim();
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
