import { ApiProperty } from '@nestjs/swagger';
import { ConventionState } from '@lib/domain/convention';

/** The convention as the back office reads it (API.md `GET /api/conventions/{id}`). */
export class ConventionView {
  @ApiProperty() conventionId!: string;
  @ApiProperty() communeInsee!: string;
  @ApiProperty() communeName!: string;
  @ApiProperty({ enum: ['active', 'ended'] }) status!: 'active' | 'ended';
  @ApiProperty() signedOn!: string;
  @ApiProperty() effectiveFrom!: string;
  @ApiProperty() legalReference!: string;
  @ApiProperty({ description: 'Initial period then each renewal: [start, end], both included (R-CONV-3)' })
  periods!: Array<{ number: number; start: string; end: string }>;
  @ApiProperty({ description: 'Every annex period with its offers over time (R-ANX-2, R-ANX-4)' })
  annexes!: Array<{
    serviceId: string;
    from: string;
    until: string | null;
    offers: Array<{ offerId: string; from: string; until: string | null }>;
    stop: { effectiveOn: string; reason: string } | null;
  }>;
  @ApiProperty({ nullable: true }) nonRenewal!: {
    notifiedOn: string;
    by: string;
    reason: string;
    appliesToPeriod: { start: string; end: string };
  } | null;
  @ApiProperty({ nullable: true }) end!: {
    lastDay: string;
    reason: string;
    termination: { effectiveOn: string; by: string; reason: string } | null;
  } | null;
  @ApiProperty({ description: 'The stream version: send it back in If-Match' }) version!: number;
}

export function conventionView(state: Exclude<ConventionState, { status: 'none' }>, version: number): ConventionView {
  return {
    conventionId: state.conventionId,
    communeInsee: state.communeInsee,
    communeName: state.communeName,
    status: state.status,
    signedOn: state.signedOn,
    effectiveFrom: state.effectiveFrom,
    legalReference: state.legalReference,
    periods: state.periods.map((period, index) => ({ number: index + 1, start: period.start, end: period.end })),
    annexes: state.annexes.map((annex) => ({
      serviceId: annex.serviceId,
      from: annex.from,
      until: annex.until,
      offers: annex.offers.map(({ offerId, from, until }) => ({ offerId, from, until })),
      stop: annex.stop,
    })),
    nonRenewal: state.nonRenewal
      ? {
          ...state.nonRenewal,
          appliesToPeriod: { start: state.nonRenewal.appliesToPeriod.start, end: state.nonRenewal.appliesToPeriod.end },
        }
      : null,
    end: state.status === 'ended' ? state.end : null,
    version,
  };
}
