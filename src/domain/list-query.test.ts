import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeCursor, encodeCursor, ListQueryError, parseListQuery, type FieldSpecs } from './list-query.ts';

const fields: FieldSpecs = {
  name: { type: 'string' },
  age: { type: 'number' },
  active: { type: 'boolean' },
  created_at: { type: 'datetime' },
  role: { type: 'enum', values: ['a', 'b'] },
  secret: { type: 'string', sortable: false },
};
const byCreated = { field: 'created_at', direction: 'asc' } as const;

function problemsOf(input: Parameters<typeof parseListQuery>[0]): string[] {
  try {
    parseListQuery(input, fields, byCreated);
    return [];
  } catch (e) {
    if (e instanceof ListQueryError) return e.problems.map((p) => p.param);
    throw e;
  }
}

describe('parseListQuery', () => {
  it('uses the defaults when nothing is given', () => {
    expect(parseListQuery({}, fields, byCreated)).toEqual({ limit: 50, cursor: null, sort: byCreated, filters: [] });
  });

  it('parses sort direction and typed filters', () => {
    const q = parseListQuery(
      { sort: '-name', limit: '10', filter: ['age:gte:18', 'active:eq:true', 'role:in:a|b', 'name:contains:x:y'] },
      fields,
      byCreated,
    );
    expect(q.sort).toEqual({ field: 'name', direction: 'desc' });
    expect(q.limit).toBe(10);
    expect(q.filters).toEqual([
      { field: 'age', op: 'gte', value: 18 },
      { field: 'active', op: 'eq', value: true },
      { field: 'role', op: 'in', value: ['a', 'b'] },
      // Only the first two colons split: values may contain colons.
      { field: 'name', op: 'contains', value: 'x:y' },
    ]);
  });

  it('turns datetimes into dates and exists into booleans', () => {
    const q = parseListQuery({ filter: ['created_at:lt:2026-01-02', 'secret:exists'] }, fields, byCreated);
    expect(q.filters[0]?.value).toEqual(new Date('2026-01-02'));
    expect(q.filters[1]).toEqual({ field: 'secret', op: 'exists', value: true });
  });

  it('reports every bad parameter at once', () => {
    expect(
      problemsOf({
        limit: '0',
        sort: 'secret',
        cursor: 'garbage',
        filter: ['nope:eq:1', 'age:eq:abc', 'role:eq:c', 'age:contains:1', 'name:like:x', 'created_at:gt:yesterday'],
      }),
    ).toEqual([
      'limit',
      'sort',
      'filter=nope:eq:1',
      'filter=age:eq:abc',
      'filter=role:eq:c',
      'filter=age:contains:1',
      'filter=name:like:x',
      'filter=created_at:gt:yesterday',
      'cursor',
    ]);
    expect(problemsOf({ limit: '201' })).toEqual(['limit']);
    expect(problemsOf({ limit: '2.5' })).toEqual(['limit']);
  });

  it('refuses a filter on an integer column that is not a whole number or does not fit the column', () => {
    const ints: FieldSpecs = { n: { type: 'number', integer: 'int4' }, big: { type: 'number', integer: 'int8' } };
    const problems = (filter: string[]) => {
      try {
        parseListQuery({ filter }, ints, { field: 'n', direction: 'asc' });
        return [];
      } catch (e) {
        if (e instanceof ListQueryError) return e.problems.map((p) => p.message);
        throw e;
      }
    };
    expect(problems(['n:eq:2147483647', 'n:gte:-2147483648', 'big:lt:9007199254740991'])).toEqual([]);
    expect(problems(['n:eq:1.5'])).toEqual(['"1.5" is not a whole number']);
    expect(problems(['n:eq:2147483648'])).toEqual(['"2147483648" is out of range (-2147483648 to 2147483647)']);
    expect(problems(['n:in:1|99999999999999'])).toHaveLength(1);
    expect(problems(['big:gt:1e30'])).toHaveLength(1);
  });

  it('names no field by an inherited property name', () => {
    for (const name of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
      expect(problemsOf({ sort: name })).toEqual(['sort']);
      expect(problemsOf({ sort: `-${name}` })).toEqual(['sort']);
      expect(problemsOf({ filter: `${name}:eq:x` })).toEqual([`filter=${name}:eq:x`]);
    }
  });

  it('never throws anything but ListQueryError on arbitrary input', () => {
    fc.assert(
      fc.property(
        fc.record({
          limit: fc.option(fc.string(), { nil: undefined }),
          cursor: fc.option(fc.string(), { nil: undefined }),
          sort: fc.option(fc.string(), { nil: undefined }),
          filter: fc.option(fc.array(fc.string(), { maxLength: 5 }), { nil: undefined }),
        }),
        (input) => {
          try {
            parseListQuery(input, fields, byCreated);
          } catch (e) {
            expect(e).toBeInstanceOf(ListQueryError);
          }
        },
      ),
    );
  });
});

describe('cursors', () => {
  it('round-trip any sort value and id', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null)), fc.uuid(), (v, id) => {
        expect(decodeCursor(encodeCursor({ v, id }))).toEqual({ v, id });
      }),
    );
  });

  it('reject what this API did not issue', () => {
    expect(decodeCursor('not base64 json')).toBeNull();
    expect(decodeCursor(Buffer.from('{"a":1}').toString('base64url'))).toBeNull();
    expect(decodeCursor(Buffer.from('[{"x":1},"id"]').toString('base64url'))).toBeNull();
  });
});
