/**
 * The customer timeline's sentences (web/src/lib/customers.ts) name the records involved: a merge says which duplicate
 * was merged in (the merged record is gone, so its id would lead nowhere), an unlink says from which company.
 */
import { describe, expect, it } from 'vitest';
import type { EventEntry } from '../web/src/api/types.ts';
import { describeCustomerEvent, mergedFrom } from '../web/src/lib/customers.ts';

const names = { user: (id: string) => (id === 'u1' ? 'Ines' : null), apiKey: () => null };

function event(type: string, payload: Record<string, unknown>): EventEntry {
  return {
    id: 'e1',
    seq: 1,
    type,
    subjectType: type.split('.')[0] ?? 'person',
    subjectId: 'p1',
    actorType: 'user',
    actorId: 'u1',
    payload,
    occurredAt: '2026-11-25T10:00:00.000Z',
  } as EventEntry;
}

describe('customer timeline sentences', () => {
  it('names the duplicate a merge took in', () => {
    expect(
      describeCustomerEvent(
        event('person.merged', { merged: { id: 'x', name: 'Ana Lima', email: 'ana@old.example' }, moved: {} }),
        names,
      ),
    ).toBe('Ines merged the duplicate Ana Lima (ana@old.example) into this record');
    expect(
      describeCustomerEvent(
        event('company.merged', { merged: { id: 'y', name: 'Acme', domain: 'acme.example' }, moved: {} }),
        names,
      ),
    ).toBe('Ines merged the duplicate Acme (acme.example) into this record');
    // An event without the merged record's details still reads.
    expect(describeCustomerEvent(event('person.merged', {}), names)).toBe('Ines merged the duplicate into this record');
  });

  it("reads a duplicate's creation, moved onto the survivor by a merge, as that record's, not a second 'added'", () => {
    expect(describeCustomerEvent(event('person.created', { name: 'Ana Lima', source: 'import' }), names)).toBe(
      'Ines added this person (source: import)',
    );
    const moved = { name: 'Ana L.', mergedFrom: { id: 'p2', name: 'Ana Lima' } };
    expect(describeCustomerEvent(event('person.created', moved), names)).toBe(
      'Ines added Ana Lima (merged into this person)',
    );
    expect(describeCustomerEvent(event('person.created', { ...moved, source: 'import' }), names)).toBe(
      'Ines added Ana Lima (merged into this person; source: import)',
    );
    expect(
      describeCustomerEvent(
        event('company.created', { name: 'Acme', mergedFrom: { id: 'c2', name: 'Acme Ltd' } }),
        names,
      ),
    ).toBe('Ines added Acme Ltd (merged into this company)');
    expect(describeCustomerEvent(event('company.created', { name: 'Acme' }), names)).toBe('Ines added this company');
    // Any other moved event keeps its sentence; the timeline says under it whose it was.
    expect(mergedFrom(event('person.note_added', { mergedFrom: { id: 'p2', name: 'Ana Lima' } }))).toEqual({
      id: 'p2',
      name: 'Ana Lima',
    });
    expect(mergedFrom(event('person.note_added', {}))).toBeNull();
  });

  it('names the company a person was unlinked from, and why when the company was deleted', () => {
    expect(describeCustomerEvent(event('person.company_unlinked', { companyId: 'c1', company: 'Acme' }), names)).toBe(
      'Ines unlinked them from Acme',
    );
    expect(
      describeCustomerEvent(
        event('person.company_unlinked', { companyId: 'c1', company: 'Acme', reason: 'company deleted' }),
        names,
      ),
    ).toBe('Ines unlinked them from Acme (company deleted)');
    expect(describeCustomerEvent(event('person.company_unlinked', { companyId: 'c1' }), names)).toBe(
      'Ines unlinked them from a company',
    );
  });
});
