import { getHeapSpaceStatistics } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { releaseStartMemory } from './release-start-memory.ts';

const newSpacePhysical = () =>
  getHeapSpaceStatistics().find((space) => space.space_name === 'new_space')?.physical_space_size ?? 0;

describe('releaseStartMemory', () => {
  it('shrinks the heap that start-up garbage grew', () => {
    // Garbage that fills the young generation, as loading the app does.
    for (let round = 0; round < 20; round++) {
      const garbage: Array<{ index: number; text: string }> = [];
      for (let index = 0; index < 50_000; index++) garbage.push({ index, text: `entry ${index}` });
    }
    const before = newSpacePhysical();
    releaseStartMemory();
    expect(newSpacePhysical()).toBeLessThan(before);
  });

  it('leaves no global gc behind, in this context or in new ones', () => {
    releaseStartMemory();
    expect((globalThis as { gc?: unknown }).gc).toBeUndefined();
    expect(runInNewContext('typeof gc')).toBe('undefined');
  });
});
