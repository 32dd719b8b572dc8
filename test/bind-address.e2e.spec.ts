import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnApi } from './support/api-process';

/** Whether a TCP connection to host:port is accepted. */
function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect({ host, port, timeout: 3_000 });
    socket.once('connect', () => (socket.destroy(), done(true)));
    socket.once('error', () => done(false));
    socket.once('timeout', () => (socket.destroy(), done(false)));
  });
}

/**
 * An address of this machine that is not 127.0.0.1: another interface's, or else 127.0.0.2, which Linux
 * routes to the loopback interface but which a server bound to 127.0.0.1 does not answer.
 */
const otherAddress =
  Object.values(networkInterfaces())
    .flat()
    .find((address) => address && address.family === 'IPv4' && !address.internal)?.address ?? '127.0.0.2';

describe('the address the API binds to (HOST)', () => {
  let dataDir: string;
  beforeEach(() => (dataDir = mkdtempSync(join(tmpdir(), 'bind-'))));
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it(`binds to 127.0.0.1 by default: ${otherAddress} is not answered`, async () => {
    const api = await spawnApi({ EVENT_STORE: 'pglite', DATA_DIR: dataDir, HOST: '' });
    try {
      await api.waitHealthy();
      expect(await accepts('127.0.0.1', api.port)).toBe(true);
      expect(await accepts(otherAddress, api.port)).toBe(false);
    } finally {
      await api.kill();
    }
  }, 90_000);

  it(`binds to every interface with HOST=0.0.0.0 (containers): ${otherAddress} is answered`, async () => {
    const api = await spawnApi({ EVENT_STORE: 'pglite', DATA_DIR: dataDir, HOST: '0.0.0.0' });
    try {
      await api.waitHealthy();
      expect(await accepts(otherAddress, api.port)).toBe(true);
    } finally {
      await api.kill();
    }
  }, 90_000);
});
