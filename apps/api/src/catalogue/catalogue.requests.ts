import { ApiDateProperty, ApiMoneyProperty } from '../http/openapi';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { CalendarDate } from '@lib/domain/shared/calendar-date';
import { money } from '@lib/domain/shared/money';
import { FeeSchedule } from '@lib/domain/fees/fee-schedule';
import { CATALOGUE_ID, IsCalendarDate, IsDecimalString, IsMoney, NoNestedArrays } from '../http/validators';
import { LegalDecisionRequest } from '../http/command-requests';

/** The amounts are required, and checked, for a paying schedule only. */
const paying = (schedule: FeeScheduleDto): boolean => schedule.kind === 'fixed_plus_per_inhabitant';

/** R-CAT-4: `free`, or `fixed_plus_per_inhabitant` with its amounts; a new kind is a new strategy. */
export class FeeScheduleDto {
  @ApiProperty({ enum: ['free', 'fixed_plus_per_inhabitant'] })
  @IsIn(['free', 'fixed_plus_per_inhabitant'])
  kind!: 'free' | 'fixed_plus_per_inhabitant';

  @ApiMoneyProperty({ required: false, example: '5000.00' })
  @ValidateIf(paying)
  @IsMoney()
  fixed?: string;

  @ApiPropertyOptional({ example: '0.20' })
  @ValidateIf(paying)
  @IsDecimalString()
  perInhabitant?: string;

  @ApiPropertyOptional({ example: 2025 })
  @ValidateIf(paying)
  @IsInt()
  @Min(2000)
  @Max(2100)
  baseYear?: number;

  @ApiPropertyOptional({ enum: ['syntec'] })
  @ValidateIf(paying)
  @IsIn(['syntec'])
  indexation?: 'syntec';

  @ApiPropertyOptional({ enum: ['prorata_days', 'none'] })
  @IsOptional()
  @IsIn(['prorata_days', 'none'])
  proration?: 'prorata_days' | 'none';
}

export class OfferDto {
  @ApiProperty({ example: 'standard' })
  @Matches(CATALOGUE_ID, { message: 'offerId must be lower-case letters, digits, - or _' })
  offerId!: string;

  @ApiProperty()
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name!: string;

  @ApiProperty()
  @IsBoolean()
  open!: boolean;

  @ApiProperty({ type: FeeScheduleDto })
  @IsObject() // ValidateNested alone lets a missing schedule through
  @ValidateNested()
  @Type(() => FeeScheduleDto)
  feeSchedule!: FeeScheduleDto;
}

export class AddServiceRequest extends LegalDecisionRequest {
  @ApiProperty({ example: 'geonet' })
  @Matches(CATALOGUE_ID, { message: 'serviceId must be lower-case letters, digits, - or _' })
  serviceId!: string;

  @ApiProperty()
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name!: string;

  @ApiDateProperty({ required: false, example: '2027-01-01', description: 'Date it enters the catalogue; default: today' })
  @IsOptional()
  @IsCalendarDate()
  effectiveFrom?: CalendarDate;

  @ApiProperty({ type: [OfferDto] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(20)
  @NoNestedArrays()
  @ValidateNested({ each: true })
  @Type(() => OfferDto)
  offers!: OfferDto[];
}

export class OpenOfferRequest extends LegalDecisionRequest {
  @ApiDateProperty({ example: '2027-01-01' })
  @IsCalendarDate()
  openedOn!: CalendarDate;
}

export class ReplaceFeeScheduleRequest extends LegalDecisionRequest {
  @ApiProperty({ example: 2027, description: 'First billing year it applies to (R-CAT-5)' })
  @IsInt()
  @Min(2000)
  @Max(2100)
  fromYear!: number;

  @ApiProperty({ type: FeeScheduleDto })
  @IsObject() // ValidateNested alone lets a missing schedule through
  @ValidateNested()
  @Type(() => FeeScheduleDto)
  feeSchedule!: FeeScheduleDto;
}

export function feeScheduleOf(dto: FeeScheduleDto): FeeSchedule {
  if (dto.kind === 'free') return { kind: 'free' };
  return {
    kind: 'fixed_plus_per_inhabitant',
    fixed: money(dto.fixed!),
    perInhabitant: dto.perInhabitant!,
    baseYear: dto.baseYear!,
    indexation: 'syntec',
    ...(dto.proration ? { proration: dto.proration } : {}),
  };
}
