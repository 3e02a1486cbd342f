import type { EventEntry } from '../api/types.ts';

export type Names = {
  user: (id: string) => string | null;
  apiKey: (id: string) => string | null;
};

function str(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}

function record(v: unknown): Record<string, unknown> | null {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
}

export function actorName(e: EventEntry, names: Names): string {
  if (e.actorType === 'system') return 'Rapport';
  if (!e.actorId) return 'Someone';
  if (e.actorType === 'apikey') {
    const k = names.apiKey(e.actorId);
    return k ? `API key “${k}”` : 'An API key';
  }
  return names.user(e.actorId) ?? 'A former user';
}

/** One event as a sentence: "Amara Okafor created API key “Shop integration”". */
export function describeEvent(e: EventEntry, names: Names): string {
  const who = actorName(e, names);
  const p = e.payload;
  const self = e.actorId !== null && e.actorId === e.subjectId;
  const subjectUser = names.user(e.subjectId) ?? str(p.email) ?? 'a user';
  switch (e.type) {
    case 'workspace.created':
      return e.actorType === 'system'
        ? `The workspace “${str(p.name) ?? ''}” was created`
        : `${who} created the workspace “${str(p.name) ?? ''}”`;
    case 'workspace.updated': {
      const before = record(p.before);
      const after = record(p.after);
      const parts: string[] = [];
      if (before && after && before.name !== after.name) parts.push(`renamed the workspace to “${str(after.name)}”`);
      if (before && after && before.timezone !== after.timezone)
        parts.push(`set the time zone to ${str(after.timezone)}`);
      return `${who} ${parts.length ? parts.join(' and ') : 'updated the workspace'}`;
    }
    case 'user.created': {
      const role = str(p.role);
      if (e.actorType === 'system') return `${subjectUser} joined as ${role ?? 'a member'}`;
      return `${who} added ${subjectUser}${role ? ` as ${role}` : ''}`;
    }
    case 'user.updated': {
      const changes = record(p.changes) ?? {};
      const parts: string[] = [];
      const role = record(changes.role);
      const status = record(changes.status);
      const name = record(changes.name);
      const target = self ? 'their' : `${subjectUser}’s`;
      if (role) parts.push(`changed ${target} role from ${str(role.from)} to ${str(role.to)}`);
      if (status)
        parts.push(`${str(status.to) === 'disabled' ? 'disabled' : 'enabled'} ${self ? 'themselves' : subjectUser}`);
      if (name) parts.push(`renamed ${self ? 'themselves' : (str(name.from) ?? 'a user')} to ${str(name.to)}`);
      return `${who} ${parts.length ? parts.join(' and ') : `updated ${subjectUser}`}`;
    }
    case 'user.password_changed':
      return self ? `${who} changed their password` : `${who} reset the password of ${subjectUser}`;
    case 'user.deleted':
      return `${who} deleted ${str(p.email) ?? 'a user'}`;
    case 'session.created':
      return `${who} signed in`;
    case 'session.revoked':
      return self ? `${who} signed out a device` : `${who} signed ${subjectUser} out of a device`;
    case 'apikey.created':
      return `${who} created API key “${str(p.name) ?? ''}”`;
    case 'apikey.revoked':
      return `${who} revoked API key “${str(p.name) ?? ''}”`;
    default:
      return `${who}: ${e.type.replace(/[._]/g, ' ')}`;
  }
}

export const eventTypeOptions: Array<{ value: string; label: string }> = [
  { value: '', label: 'All activity' },
  { value: 'user.*', label: 'People (all)' },
  { value: 'user.created', label: 'Person added' },
  { value: 'user.updated', label: 'Person changed' },
  { value: 'user.password_changed', label: 'Password changed' },
  { value: 'user.deleted', label: 'Person deleted' },
  { value: 'session.*', label: 'Sign-ins and sign-outs' },
  { value: 'apikey.*', label: 'API keys' },
  { value: 'workspace.*', label: 'Workspace' },
];

export function eventColor(type: string): string {
  if (type.startsWith('apikey.')) return 'orange';
  if (type.startsWith('session.')) return 'gray';
  if (type.startsWith('workspace.')) return 'grape';
  if (type.endsWith('deleted') || type.endsWith('revoked')) return 'red';
  return 'indigo';
}
