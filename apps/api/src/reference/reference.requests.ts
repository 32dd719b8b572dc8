import { ApiDateProperty, ApiMoneyProperty } from '../http/openapi';
import { DECIMAL } from '../http/openapi-schemas';
import { ApiProperty } from '@nestjs/swagger';
import { IsInt, IsNotEmpty, IsString, Matches, Max, MaxLength, Min, ValidateIf } from 'class-validator';
import { CalendarDate } from '@lib/domain/shared/calendar-date';
import { CATALOGUE_ID, INSEE_FORMAT, IsCalendarDate, IsDecimalString, IsInsee, IsMoney, IsYearMonth } from '../http/validators';
import { OptionalReasonRequest } from '../http/command-requests';

export class RecordPopulationRequest extends OptionalReasonRequest {
  @ApiProperty({ example: '69123', pattern: INSEE_FORMAT.source })
  @IsInsee()
  communeInsee!: string;

  @ApiProperty({ example: 522250, description: 'Legal population (R-FEE-2)' })
  @IsInt()
  @Min(0)
  @Max(100_000_000)
  population!: number;

  @ApiDateProperty({ example: '2025-01-01', description: 'The date the figure came into force' })
  @IsCalendarDate()
  effectiveDate!: CalendarDate;

  @ApiProperty({ example: 'INSEE, populations légales 2022 (population municipale)' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(500)
  source!: string;
}

export class RecordSyntecRequest extends OptionalReasonRequest {
  @ApiProperty({ example: '2025-10', pattern: '^\\d{4}-(0[1-9]|1[0-2])$', description: 'The month the value is for' })
  @IsYearMonth()
  period!: string;

  @ApiProperty({ example: '322.2', pattern: DECIMAL.pattern as string, description: 'A decimal string (R-FEE-3)' })
  @IsDecimalString()
  value!: string;

  @ApiDateProperty({ example: '2025-11-28' })
  @IsCalendarDate()
  publishedOn!: CalendarDate;
}

export class RecordLegacyConventionRequest extends OptionalReasonRequest {
  @ApiProperty({ example: '69029', pattern: INSEE_FORMAT.source })
  @IsInsee()
  communeInsee!: string;

  @ApiProperty({ example: 'Bron' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  communeName!: string;

  @ApiProperty({ example: 'toodego', pattern: CATALOGUE_ID.source })
  @Matches(CATALOGUE_ID, { message: 'serviceId must be a catalogue service id such as toodego' })
  serviceId!: string;

  @ApiProperty({ example: 'partenaire', pattern: CATALOGUE_ID.source })
  @Matches(CATALOGUE_ID, { message: 'offerId must be a catalogue offer id such as partenaire' })
  offerId!: string;

  @ApiMoneyProperty({
    required: false,
    example: '90000.00',
    nullable: true,
    description: 'Contribution paid for `year`; null when unknown (R-LEG-1)',
  })
  @ValidateIf((_, value) => value !== null && value !== undefined)
  @IsMoney()
  annualContribution?: string | null;

  @ApiProperty({ example: 2025 })
  @IsInt()
  @Min(2000)
  @Max(2100)
  year!: number;

  @ApiDateProperty({ required: false, example: '2019-01-01', nullable: true, description: 'Start date when known' })
  @ValidateIf((_, value) => value !== null && value !== undefined)
  @IsCalendarDate()
  startDate?: CalendarDate | null;
}
