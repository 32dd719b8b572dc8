import { InMemoryEventStore } from '@lib/event-store/in-memory/in-memory-event-store';
import { eventStoreContract } from './event-store.contract';

eventStoreContract('in memory', async () => {
  const store = new InMemoryEventStore();
  return { store, teardown: () => store.close() };
});
