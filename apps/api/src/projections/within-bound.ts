/**
 * The promise's answer, or a rejection once `ms` have passed. The call itself goes on (pg has no way to
 * cancel it) but is bounded too: the pool's query timeout ends it and throws its connection away.
 */
export function withinBound<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  promise.catch(() => undefined); // the loser of the race must not become an unhandled rejection
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
