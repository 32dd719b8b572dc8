import { Inject, Injectable, Logger } from '@nestjs/common';
import { isRefusal } from '@lib/domain/shared/refusal';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { RefusalException, ValidationProblem } from '../problem-details';
import { CommuneGeography, OfficialCommune, sameCommuneName } from './commune-geography';

/**
 * The commune check where facts about a commune are recorded (a convention, a population, a legacy
 * convention), at the application's boundary: the geography is reference data outside the log, so the
 * check is made on the request before any decider runs (docs/communes.md says why not in the domain).
 * An unknown, former or non-member code is a 422 naming its rule (R-COM-1, R-COM-2); a name that is not
 * the commune's is a 400 giving the expected one (R-COM-3).
 */
export function recordableCommune(insee: string, name?: string, geography = CommuneGeography.official()): OfficialCommune {
  const checked = geography.check(insee);
  if (isRefusal(checked)) throw new RefusalException(checked);
  if (name !== undefined && !sameCommuneName(name, checked.name))
    throw new ValidationProblem([
      { field: 'communeName', message: `communeName must be the name of ${insee}: "${checked.name}"`, rule: 'R-COM-3' },
    ]);
  return checked;
}

@Injectable()
export class CommuneCheck {
  private readonly geography?: CommuneGeography;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    // Loaded at start, not at the first command: a broken package stops the process, not a request.
    if (config.communeCheck === 'metropole') this.geography = CommuneGeography.official();
    else
      new Logger('CommuneCheck').warn(
        'COMMUNE_CHECK=synthetic: facts are recorded for any well-formed INSEE code and name (R-COM-1..3 off)',
      );
  }

  /**
   * The commune the facts are recorded for, its official spelling being what is recorded; with
   * COMMUNE_CHECK=synthetic (tests, benchmarks), the code and name as given.
   */
  recordable(insee: string, name?: string): OfficialCommune {
    if (!this.geography) return { insee, name: name ?? '' };
    return recordableCommune(insee, name, this.geography);
  }
}
