import { IncomingMessage, STATUS_CODES, Server, ServerResponse } from 'node:http';
import { Duplex } from 'node:stream';

/** Node's own answers (lib/_http_server.js) to what its parser refuses, kept, but as problem+json. */
const STATUS_OF: Record<string, number> = { HPE_HEADER_OVERFLOW: 431, HPE_CHUNK_EXTENSIONS_OVERFLOW: 413, ERR_HTTP_REQUEST_TIMEOUT: 408 };
const DETAIL_OF: Record<number, string> = {
  400: 'The request is not valid HTTP/1.1 (request line, headers or chunked encoding)',
  408: 'The request headers did not arrive in time',
  413: 'The chunk extensions are too large',
  431: 'The request headers are larger than the server accepts',
};

function problemJson(status: number, detail: string): string {
  return JSON.stringify({ type: 'about:blank', title: STATUS_CODES[status], status, detail });
}

/**
 * A request Node's HTTP parser refuses (headers over the size limit, a malformed request line, bad
 * chunked encoding, invalid header characters) never reaches Express or the exception filter; Node
 * would answer it with a bare status line. This answers it like every other error of the API, with an
 * RFC 9457 problem+json, and closes the connection, since the parser cannot resume on it. Likewise
 * the 417 Node sends on its own for an `Expect` header other than 100-continue.
 */
export function answerClientErrorsAsProblems(server: Server): void {
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    // As Node does: write only if the client is still there and no answer has started on this socket.
    const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } | null })._httpMessage;
    if (error.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent) {
      socket.destroy();
      return;
    }
    const status = STATUS_OF[error.code ?? ''] ?? 400;
    const body = problemJson(status, DETAIL_OF[status]);
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n` +
        'Content-Type: application/problem+json\r\n' +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        'Connection: close\r\n\r\n' +
        body,
      () => socket.destroy(),
    );
  });
  server.on('checkExpectation', (_request: IncomingMessage, response: ServerResponse) => {
    const body = problemJson(417, 'The only expectation this server meets is Expect: 100-continue');
    response.writeHead(417, { 'Content-Type': 'application/problem+json', 'Content-Length': Buffer.byteLength(body), Connection: 'close' });
    response.end(body);
  });
}
