import { ArgumentsHost } from '@nestjs/common';
import { HorizonTimeoutError } from '@lib/event-store/event-store.port';
import { ProblemDetailsFilter } from './problem-details.filter';

/** What the filter answers, through a response that records what it is given. */
function answer(exception: unknown): { status: number; headers: Record<string, string>; body: Record<string, unknown> } {
  const sent = { status: 0, headers: {} as Record<string, string>, body: {} as Record<string, unknown> };
  const response = {
    headersSent: false,
    setHeader: (name: string, value: string) => void (sent.headers[name] = value),
    status(code: number) {
      sent.status = code;
      return this;
    },
    type: function () {
      return this;
    },
    send: (text: string) => void (sent.body = JSON.parse(text)),
  };
  const host = { switchToHttp: () => ({ getResponse: () => response }) } as unknown as ArgumentsHost;
  new ProblemDetailsFilter().catch(exception, host);
  return sent;
}

describe('ProblemDetailsFilter: the store not answering completely is 503 with Retry-After, not 500', () => {
  it('answers a one-shot read that could not see every acknowledged event in time (HorizonTimeoutError) with 503', () => {
    const { status, headers, body } = answer(new HorizonTimeoutError(30_000));
    expect({ status, retryAfter: headers['Retry-After'], type: body.type }).toEqual({
      status: 503,
      retryAfter: '1',
      type: '/problems/store-unavailable',
    });
  });

  it.each([['ECONNREFUSED'], ['ECONNRESET'], ['57P01'], ['53300'], ['08006']])(
    'answers a database connection failure (%s) with 503',
    (code) => {
      const error = Object.assign(new Error('connection failed'), { code });
      expect(answer(error).status).toBe(503);
    },
  );

  // What pg and pg-pool really throw (pg 8): a lost connection has no SQLSTATE, only its message.
  it.each([
    ['a connection lost mid-query', new Error('Connection terminated unexpectedly')],
    ['a connect that timed out', new Error('timeout exceeded when trying to connect')],
    [
      'a new connection that timed out',
      new Error('Connection terminated due to connection timeout', { cause: new Error('Connection terminated unexpectedly') }),
    ],
    ['a query the server never answered (query_timeout)', new Error('Query read timeout')],
    ['a client already broken', new Error('Client has encountered a connection error and is not queryable')],
    [
      'a crash shutdown (57P02)',
      Object.assign(new Error('terminating connection because of crash of another server process'), { code: '57P02' }),
    ],
    ['the database starting up (57P03)', Object.assign(new Error('the database system is starting up'), { code: '57P03' })],
    ['a broken pipe (EPIPE)', Object.assign(new Error('write EPIPE'), { code: 'EPIPE' })],
    ['a socket timeout (ETIMEDOUT)', Object.assign(new Error('connect ETIMEDOUT'), { code: 'ETIMEDOUT' })],
    ['the statement timeout (57014)', Object.assign(new Error('canceling statement due to statement timeout'), { code: '57014' })],
    ['the lock timeout (55P03)', Object.assign(new Error('canceling statement due to lock timeout'), { code: '55P03' })],
    [
      'the idle-in-transaction timeout (25P03)',
      Object.assign(new Error('terminating connection due to idle-in-transaction timeout'), { code: '25P03' }),
    ],
    [
      'a refused connection behind an AggregateError',
      Object.assign(new AggregateError([new Error('connect ECONNREFUSED ::1:5432')]), { code: 'ECONNREFUSED' }),
    ],
  ])('answers %s with 503 problem+json and Retry-After', (_label, error) => {
    const { status, headers, body } = answer(error);
    expect({ status, retryAfter: headers['Retry-After'], type: body.type }).toEqual({
      status: 503,
      retryAfter: '1',
      type: '/problems/store-unavailable',
    });
  });

  it.each([
    ['a unique violation that escaped (23505)', Object.assign(new Error('duplicate key value'), { code: '23505' })],
    ['a missing table (42P01)', Object.assign(new Error('relation "x" does not exist'), { code: '42P01' })],
    ['an error that merely mentions a connection', new Error('Invalid connection string')],
  ])('still answers %s with 500: a bug, not an outage', (_label, error) => {
    expect(answer(error).status).toBe(500);
  });

  it('still answers a programming error with 500, without its message', () => {
    const { status, body } = answer(new TypeError('secret internals'));
    expect(status).toBe(500);
    expect(JSON.stringify(body)).not.toContain('secret internals');
  });
});
