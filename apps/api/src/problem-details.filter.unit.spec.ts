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
    expect({ status, retryAfter: headers['Retry-After'], type: body.type }).toEqual({ status: 503, retryAfter: '1', type: '/problems/store-unavailable' });
  });

  it.each([['ECONNREFUSED'], ['ECONNRESET'], ['57P01'], ['53300'], ['08006']])('answers a database connection failure (%s) with 503', (code) => {
    const error = Object.assign(new Error('connection failed'), { code });
    expect(answer(error).status).toBe(503);
  });

  it('still answers a programming error with 500, without its message', () => {
    const { status, body } = answer(new TypeError('secret internals'));
    expect(status).toBe(500);
    expect(JSON.stringify(body)).not.toContain('secret internals');
  });
});
