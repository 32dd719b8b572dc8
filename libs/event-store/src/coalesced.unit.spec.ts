import { coalesced } from './coalesced';

describe('coalesced', () => {
  it('answers every call with a run that started after it, and a burst during a run with one more run', async () => {
    const starts: number[] = [];
    let clock = 0;
    let release!: () => void;
    const run = coalesced(async () => {
      starts.push(clock);
      await new Promise<void>((resolve) => (release = resolve));
      return starts.length;
    });
    clock = 1;
    const first = run();
    clock = 2;
    const during = [run(), run(), run()];
    release();
    expect(await first).toBe(1);
    await new Promise((resolve) => setImmediate(resolve));
    release();
    // The three calls made at 2, while run 1 (started at 1) was in flight, share run 2, started after them.
    expect(await Promise.all(during)).toEqual([2, 2, 2]);
    expect(starts).toEqual([1, 2]);
  });

  it('a failed run fails its callers only; the next call runs again', async () => {
    let fail = true;
    const run = coalesced(() => (fail ? Promise.reject(new Error('down')) : Promise.resolve('up')));
    await expect(run()).rejects.toThrow('down');
    fail = false;
    await expect(run()).resolves.toBe('up');
  });
});
