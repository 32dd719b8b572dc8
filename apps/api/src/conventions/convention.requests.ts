import { ApiDateProperty } from '../http/openapi';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsIn, IsNotEmpty, IsOptional, IsString, Matches, MaxLength, ValidateNested } from 'class-validator';
import { CalendarDate } from '@lib/domain/shared/calendar-date';
import { Party, PARTIES } from '@lib/domain/convention';
import { CATALOGUE_ID, INSEE_FORMAT, IsCalendarDate, IsInsee, NoNestedArrays } from '../http/validators';
import { OptionalReasonRequest, RequiredReasonRequest } from '../http/command-requests';

export class AnnexRequestDto {
  @ApiProperty({ example: 'toodego', pattern: CATALOGUE_ID.source })
  @Matches(CATALOGUE_ID, { message: 'serviceId must be a catalogue service id such as toodego' })
  serviceId!: string;

  @ApiProperty({ example: 'partenaire', pattern: CATALOGUE_ID.source })
  @Matches(CATALOGUE_ID, { message: 'offerId must be a catalogue offer id such as partenaire' })
  offerId!: string;

  @ApiDateProperty({ example: '2026-01-01', description: 'First day in force (R-TIME-3)' })
  @IsCalendarDate()
  effectiveFrom!: CalendarDate;
}

export class SignConventionRequest extends OptionalReasonRequest {
  @ApiProperty({ example: '69123', pattern: INSEE_FORMAT.source })
  @IsInsee()
  communeInsee!: string;

  @ApiProperty({ example: 'Lyon' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  communeName!: string;

  @ApiDateProperty({ example: '2025-11-15' })
  @IsCalendarDate()
  signedOn!: CalendarDate;

  @ApiDateProperty({ example: '2026-01-01', description: 'R-CONV-2: at most one year before the signature' })
  @IsCalendarDate()
  effectiveFrom!: CalendarDate;

  @ApiPropertyOptional({ type: [AnnexRequestDto] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(50)
  @NoNestedArrays()
  @ValidateNested({ each: true })
  @Type(() => AnnexRequestDto)
  annexes?: AnnexRequestDto[];
}

export class AddAnnexRequest extends OptionalReasonRequest {
  @ApiProperty({ example: 'laclasse' })
  @Matches(CATALOGUE_ID, { message: 'serviceId must be a catalogue service id such as laclasse' })
  serviceId!: string;

  @ApiProperty({ example: 'standard' })
  @Matches(CATALOGUE_ID, { message: 'offerId must be a catalogue offer id such as standard' })
  offerId!: string;

  @ApiDateProperty({ example: '2026-03-01' })
  @IsCalendarDate()
  effectiveFrom!: CalendarDate;
}

export class StopServiceRequest extends RequiredReasonRequest {
  @ApiDateProperty({ example: '2026-07-01', description: 'First day without access (R-TIME-3)' })
  @IsCalendarDate()
  effectiveOn!: CalendarDate;
}

export class ChangeOfferRequest extends OptionalReasonRequest {
  @ApiProperty({ example: 'connecte' })
  @Matches(CATALOGUE_ID, { message: 'offerId must be a catalogue offer id such as connecte' })
  offerId!: string;

  @ApiDateProperty({ example: '2026-09-01' })
  @IsCalendarDate()
  effectiveFrom!: CalendarDate;
}

export class NonRenewalRequest extends RequiredReasonRequest {
  @ApiDateProperty({ example: '2026-10-15' })
  @IsCalendarDate()
  notifiedOn!: CalendarDate;

  @ApiProperty({ enum: PARTIES })
  @IsIn(PARTIES as Party[])
  by!: Party;
}

export class TerminationRequest extends RequiredReasonRequest {
  @ApiDateProperty({ example: '2026-07-01', description: 'First day without access (R-TIME-3)' })
  @IsCalendarDate()
  effectiveOn!: CalendarDate;

  @ApiProperty({ enum: PARTIES })
  @IsIn(PARTIES as Party[])
  by!: Party;
}
