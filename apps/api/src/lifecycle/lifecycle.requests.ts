import { ApiDateProperty } from '../http/openapi';
import { CalendarDate } from '@lib/domain/shared/calendar-date';
import { IsCalendarDate } from '../http/validators';
import { OptionalReasonRequest } from '../http/command-requests';

/** Like every command body, it may carry `reason` and `legalReference` (API.md). */
export class RunLifecycleRequest extends OptionalReasonRequest {
  @ApiDateProperty({ example: '2027-01-01', description: 'Record what is due up to this date (R-CONV-4, R-CONV-5, R-LEG-3)' })
  @IsCalendarDate()
  asOf!: CalendarDate;
}
