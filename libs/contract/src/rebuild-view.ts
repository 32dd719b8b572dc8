import type { CopyComparison } from '@lib/projections/runner/projection-runner';

/** The answers of the rebuild routes (`/api/projections/rebuild…`), as the API sends them and the CLI reads them. */
export type RebuildState = 'rebuilding' | 'checking' | 'ready' | 'swapping' | 'swapped' | 'cancelled' | 'failed';

export interface RebuildView {
  jobId: string;
  state: RebuildState;
  startedAt: string;
  /** Events in the store when the rebuild started. */
  totalEvents: number;
  /** Events every projection has read so far (the slowest one's count). */
  eventsDone: number;
  eventsPerSecond: number;
  remainingSeconds: number | null;
  projections: Array<{
    name: string;
    eventsDone: number;
    position: string;
    state: string;
    /** Once checked: the live tables and the rebuilt ones, at the same checkpoint. */
    check?: {
      equal: boolean;
      samePosition: boolean;
      position: string;
      live: CopyComparison['live']['tables'];
      rebuilt: CopyComparison['copy']['tables'];
    };
  }>;
  error?: string;
}
