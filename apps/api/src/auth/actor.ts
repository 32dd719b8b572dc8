import type { Role } from '@lib/contract';

/** Who calls: the token's subject and role; recorded on every event it causes (R-AUD-1). */
export interface Actor {
  id: string;
  role: Role;
  /** For role `commune`: the only commune whose data it may read. */
  insee?: string;
  /** For role `consumer`: the services it may follow (all when absent). */
  services?: string[];
}
