import { FairGate } from './fair-gate';

/** A task the test finishes by hand. */
function controlled(): { promise: Promise<void>; finish(): void; fail(error: Error): void } {
  let finish!: () => void;
  let fail!: (error: Error) => void;
  const promise = new Promise<void>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  return { promise, finish, fail };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 5));

describe('FairGate', () => {
  it('runs at most `width` tasks at once and starts the others in arrival order', async () => {
    const gate = new FairGate(2);
    const started: number[] = [];
    const tasks = Array.from({ length: 5 }, () => controlled());
    const runs = tasks.map((task, i) => gate.run(async () => (started.push(i), task.promise)));
    await settle();
    expect({ started, queued: gate.queued }).toEqual({ started: [0, 1], queued: 3 });
    tasks[1].finish();
    await settle();
    expect(started).toEqual([0, 1, 2]);
    tasks[0].finish();
    tasks[2].finish();
    await settle();
    expect(started).toEqual([0, 1, 2, 3, 4]);
    tasks[3].finish();
    tasks[4].finish();
    await Promise.all(runs);
    expect(gate.queued).toBe(0);
  });

  it('a task that fails gives its place to the next and its error to its caller', async () => {
    const gate = new FairGate(1);
    const first = controlled();
    const failing = gate.run(() => first.promise);
    const next = gate.run(async () => 'ran');
    first.fail(new Error('database gone'));
    await expect(failing).rejects.toThrow('database gone');
    await expect(next).resolves.toBe('ran');
  });

  it('a task that queues again goes behind those already waiting (round robin between streams)', async () => {
    const gate = new FairGate(1);
    const order: string[] = [];
    const reader = async (name: string, pages: number) => {
      for (let page = 0; page < pages; page++) await gate.run(async () => void order.push(name));
    };
    await Promise.all([reader('a', 3), reader('b', 3), reader('c', 3)]);
    expect(order.join('')).toBe('abcabcabc');
  });

  it('once its tasks have run for a slice, starts the next on a fresh turn of the event loop, so that I/O waiting meanwhile is served in between', async () => {
    const gate = new FairGate(1, 20);
    const order: string[] = [];
    const runs = [
      gate.run(async () => {
        // A request arrives while the first page is read, which takes longer than a slice (blocking, as a
        // PGlite query does): it must be served before the second page.
        setImmediate(() => order.push('request'));
        for (const end = performance.now() + 30; performance.now() < end;);
        order.push('page 1');
      }),
      gate.run(async () => void order.push('page 2')),
    ];
    await Promise.all(runs);
    expect(order).toEqual(['page 1', 'request', 'page 2']);
  });

  it('within a slice, tasks follow one another without waiting for a turn', async () => {
    const gate = new FairGate(1, 60_000);
    const order: string[] = [];
    const runs = [
      gate.run(async () => {
        setImmediate(() => order.push('request'));
        order.push('page 1');
      }),
      gate.run(async () => void order.push('page 2')),
    ];
    await Promise.all(runs);
    expect(order).toEqual(['page 1', 'page 2']);
    await new Promise((resolve) => setImmediate(resolve));
    expect(order).toEqual(['page 1', 'page 2', 'request']);
  });

  it('refuses a width that is not a whole number from 1', () => {
    expect(() => new FairGate(0)).toThrow(RangeError);
    expect(() => new FairGate(1.5)).toThrow(RangeError);
  });
});
