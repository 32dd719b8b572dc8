import { spawnSync } from 'node:child_process';
import { GenericContainer, StartedTestContainer, Wait } from 'testcontainers';
import { EventStoreDbEventStore } from '@lib/event-store/eventstoredb/eventstoredb-event-store';
import { eventStoreContract } from './event-store.contract';

// The shared contract suite against a real EventStoreDB/KurrentDB in a container. Without a container
// runtime the suite is skipped with one line saying why, so that a skip is never mistaken for a pass.

const IMAGE = process.env.ESDB_IMAGE ?? 'eventstore/eventstore:24.10.0-bookworm-slim';
const PORT = 2113;

/** Decided when the file is loaded, synchronously: Jest needs to know before it collects the tests. */
function whyNoContainerRuntime(): string | undefined {
  const docker = spawnSync('docker', ['info'], { encoding: 'utf8', timeout: 15_000 });
  if (!docker.error && docker.status === 0) return undefined;
  // No usable docker CLI: testcontainers may still find a runtime by itself (DOCKER_HOST, Podman, Colima…).
  const probe =
    `require(${JSON.stringify(require.resolve('testcontainers'))}).getContainerRuntimeClient()` +
    '.then(() => process.exit(0), () => process.exit(1))';
  const testcontainers = spawnSync(process.execPath, ['-e', probe], { timeout: 30_000 });
  if (testcontainers.status === 0) return undefined;
  const reason = docker.error?.message ?? lastLine(docker.stderr) ?? `exit code ${docker.status}`;
  return `docker info failed: ${reason}`;
}

function lastLine(text: string | undefined): string | undefined {
  return text?.trim().split('\n').pop()?.trim() || undefined;
}

const unavailable = whyNoContainerRuntime();

if (unavailable) {
  // Straight to stdout: console.log in Jest prints a multi-line block with a stack location.
  process.stdout.write(`EventStoreDB contract suite skipped: no container runtime (${unavailable})\n`);
  describe.skip('EventStore contract: EventStoreDB', () => {
    it('needs a container runtime', () => undefined);
  });
} else {
  let container: StartedTestContainer | undefined;

  beforeAll(async () => {
    container = await new GenericContainer(IMAGE)
      .withEnvironment({
        EVENTSTORE_INSECURE: 'true',
        EVENTSTORE_MEM_DB: 'true',
        EVENTSTORE_CLUSTER_SIZE: '1',
        EVENTSTORE_RUN_PROJECTIONS: 'None',
      })
      .withExposedPorts(PORT)
      // /health/live answers 204 once the node accepts requests.
      .withWaitStrategy(Wait.forHttp('/health/live', PORT).forStatusCodeMatching((status) => status >= 200 && status < 300))
      .withStartupTimeout(120_000)
      .start();
  }, 180_000);

  afterAll(async () => {
    await container?.stop();
  });

  eventStoreContract(
    'EventStoreDB',
    async () => {
      if (!container) throw new Error('the EventStoreDB container did not start');
      const store = EventStoreDbEventStore.fromConnectionString(`esdb://${container.getHost()}:${container.getMappedPort(PORT)}?tls=false`);
      return { store, teardown: () => store.close() };
    },
    { globallyUniqueEventIds: false },
  );
}
