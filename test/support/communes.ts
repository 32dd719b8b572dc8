import { CommuneGeography } from '../../apps/api/src/communes/commune-geography';

/** The Métropole de Lyon's communes (R-COM-2), in INSEE order: real codes for tests that need many. */
export const METROPOLE_COMMUNES = CommuneGeography.official().members();

/** The official name of a member commune (R-COM-3); throws for any other code, so a fixture cannot drift. */
export function communeName(insee: string): string {
  const commune = CommuneGeography.official().member(insee);
  if (!commune) throw new Error(`${insee} is not a commune of the Métropole de Lyon`);
  return commune.name;
}
