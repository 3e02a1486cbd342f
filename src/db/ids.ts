import { v7 } from 'uuid';

/** Time-ordered UUIDs (v7): new rows land at the end of the primary-key index, and ids sort by creation. */
export function newId(): string {
  return v7();
}

export const nilWorkspaceId = '00000000-0000-0000-0000-000000000000';

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export function isUuid(s: string): boolean {
  return uuidPattern.test(s);
}
