import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { newRowId } from '../src/store/ids.js';

describe('row ids (store/ids.ts)', () => {
  it('are UUID version 7: the time first (so they sort by creation), then random bits', () => {
    const id = newRowId(Date.UTC(2026, 10, 30, 12, 0, 0));
    assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(Number.parseInt(id.replace(/-/g, '').slice(0, 12), 16), Date.UTC(2026, 10, 30, 12, 0, 0));
    const ids = Array.from({ length: 1000 }, (_, i) => newRowId(1_800_000_000_000 + i));
    assert.deepEqual([...ids].sort(), ids);
    const same = new Set(Array.from({ length: 10_000 }, () => newRowId(1_800_000_000_000)));
    assert.equal(same.size, 10_000, 'ids of the same millisecond differ');
  });
});
