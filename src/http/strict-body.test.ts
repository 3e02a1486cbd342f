import { describe, expect, it } from 'vitest';
import { droppedKeys } from './strict-body.ts';

describe('droppedKeys', () => {
  it('names every key of the input its parsed value lacks, at any depth, arrays element by element', () => {
    expect(droppedKeys({ a: 1, b: 2 }, { a: 1 })).toEqual([['b']]);
    expect(
      droppedKeys({ a: { x: 1, y: 2 }, list: [{ k: 1 }, { k: 2, z: 3 }] }, { a: { x: 1 }, list: [{ k: 1 }, { k: 2 }] }),
    ).toEqual([
      ['a', 'y'],
      ['list', '1', 'z'],
    ]);
    expect(droppedKeys({ a: 1 }, { a: 1, filled: true })).toEqual([]);
  });

  it('does not compare what a schema turned into something else', () => {
    expect(droppedKeys({ at: '2025-01-01' }, { at: new Date('2025-01-01') })).toEqual([]);
    expect(droppedKeys({ a: { b: 1 } }, { a: 'b=1' })).toEqual([]);
    expect(droppedKeys([{ a: 1 }, { b: 1 }], [{ a: 1 }])).toEqual([]);
    expect(droppedKeys('text', 'text')).toEqual([]);
  });
});
