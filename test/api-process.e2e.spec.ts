import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnApi } from './support/api-process';

describe('the API as a spawned process (test/support/api-process.ts)', () => {
  it('starts on a PGlite DATA_DIR, answers with the token it was given, and dies on SIGKILL', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'api-process-'));
    const api = await spawnApi({ EVENT_STORE: 'pglite', DATA_DIR: dataDir });
    try {
      await api.waitHealthy();
      const unauthenticated = await fetch(`${api.url}/api/catalogue`);
      expect(unauthenticated.status).toBe(401);
      const answer = await fetch(`${api.url}/api/catalogue`, { headers: { authorization: `Bearer ${api.token('admin')}` } });
      expect(answer.status).toBe(200);
      await api.kill('SIGKILL');
      expect((await api.exited).signal).toBe('SIGKILL');
    } finally {
      await api.kill();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 90_000);
});
