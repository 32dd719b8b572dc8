/**
 * `fn` run one call at a time, where each call is answered by a run that STARTED after the call: a call
 * while a run is in flight waits for the next run, which every such call shares. So what a caller asked
 * for is done after it asked (a read sees what was committed before it; a notification follows the
 * commit it announces), and a burst of calls costs two runs, not one per call.
 */
export function coalesced<T>(fn: () => Promise<T>): () => Promise<T> {
  let running: Promise<T> | undefined;
  let next: Promise<T> | undefined;
  const run = (): Promise<T> => {
    const current = fn().finally(() => {
      if (running === current) running = undefined;
    });
    running = current;
    return current;
  };
  return () => {
    if (!running) return run();
    next ??= running
      .catch(() => undefined)
      .then(() => {
        next = undefined;
        return run();
      });
    return next;
  };
}
