/** src/core/collections.ts: `slices` cuts a list into batches the services send to the database one at a time. */
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { slices } from '../src/core/collections.js';

it('slices keep every item once, in order, in batches of the size asked (the last may be shorter)', () => {
  fc.assert(
    fc.property(fc.array(fc.integer()), fc.integer({ min: 1, max: 50 }), (items, size) => {
      const cut = slices(items, size);
      expect(cut.flat()).toEqual(items);
      expect(cut.length).toBe(Math.ceil(items.length / size));
      for (const s of cut.slice(0, -1)) expect(s.length).toBe(size);
      if (cut.length > 0) expect(cut.at(-1)!.length).toBeGreaterThan(0);
    }),
  );
});
