import { Response } from 'supertest';
import { RecordedEvent } from '@lib/event-store/event-store.port';
import { TestApp } from './support/app';

/**
 * Helpers of the command e2e suites (conventions, catalogue, reference, lifecycle, idempotency, bad
 * input, import): "the store is unchanged" and "refused with this rule".
 */

/**
 * Every event the store holds, in global order. On PostgreSQL the global order shows an event once no
 * older transaction is running (the xmin horizon, postgres-event-store.ts), and other suites share the
 * server, so a read right after a command may lag: wait until it shows every committed row.
 */
export async function storedEvents(app: TestApp): Promise<RecordedEvent[]> {
  for (let attempt = 0; ; attempt++) {
    const events = await app.allEvents();
    const { rows } = await app.db.query<{ n: number }>('SELECT count(*)::int AS n FROM events');
    if (events.length === Number(rows[0].n)) return events;
    if (attempt === 250) throw new Error(`the global order shows ${events.length} of ${rows[0].n} events after 5 s`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Runs requests that must record nothing, and checks the store is exactly as it was. */
export async function unchanged<T>(app: TestApp, act: () => PromiseLike<T>): Promise<T> {
  const before = await storedEvents(app);
  const result = await act();
  expect(await storedEvents(app)).toEqual(before);
  return result;
}

export function expectRefusal(response: Response, status: number, rule: string, code: string): void {
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect({ status: response.status, rule: response.body.rule, code: response.body.code }).toEqual({ status, rule, code });
}

/** A refusal (422, or 409 for a conflict, 404 for an unknown id) naming its rule, after which the store is unchanged. */
export async function refused(app: TestApp, status: number, rule: string, code: string, act: () => PromiseLike<Response>): Promise<void> {
  expectRefusal(await unchanged(app, act), status, rule, code);
}

export function expectProblem(response: Response, status: number): void {
  expect({ status: response.status, type: response.headers['content-type'] }).toEqual({
    status,
    type: expect.stringMatching(/^application\/problem\+json/),
  });
}
