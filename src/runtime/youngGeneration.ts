// A ceiling on V8's young generation, set by the program itself: `node dist/main.js serve`,
// `make run` and the image all get it, whatever NODE_OPTIONS says.
//
// Under sustained load V8 doubles the new space at each scavenge that finds enough survivors
// (the reviews in flight), up to its own maximum: on Node 24 here that is 128 MiB, and RSS
// follows. `--max-semi-space-size` would cap it, but only from the command line: set at run
// time it changes nothing (measured). The growth factor, though, is read each time the new space
// grows. So, after each garbage collection: growth is on (V8's factor 2) while the new space is at
// most half the cap, so that one doubling cannot pass it, and off (factor 1) above that; V8
// shrinks the new space when allocation slows down, and then it may grow again.
import { PerformanceObserver } from 'node:perf_hooks';
import v8 from 'node:v8';

/** 2 x 16 MiB semi-spaces, what the image's `--max-semi-space-size=16` allows. */
export const YOUNG_GENERATION_CAP_BYTES = 32 * 1024 * 1024;

/** V8's default growth factor of the new space. */
const DEFAULT_GROWTH_FACTOR = 2;

/** The new space's current size (both semi-spaces), in bytes. */
export function newSpaceBytes(): number {
  return v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0;
}

/** Keeps the new space at or under `capBytes` for the rest of the process's life. */
export function capYoungGeneration(capBytes = YOUNG_GENERATION_CAP_BYTES): void {
  let growing = true;
  const setGrowth = (on: boolean): void => {
    if (on === growing) return;
    v8.setFlagsFromString(`--semi-space-growth-factor=${on ? DEFAULT_GROWTH_FACTOR : 1}`);
    growing = on;
  };
  const check = (): void => setGrowth(newSpaceBytes() <= capBytes / 2);
  check();
  new PerformanceObserver(check).observe({ entryTypes: ['gc'] });
}
