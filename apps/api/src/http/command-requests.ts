import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';

/**
 * Every command body may carry `reason` and `legalReference` (R-AUD-1). Three bases, because
 * class-validator merges a parent's decorators into a child's: a field optional in a parent cannot be
 * made required in a child.
 */
export class OptionalReasonRequest {
  @ApiPropertyOptional({ description: 'Why this is recorded (kept with the events)' })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  reason?: string;

  @ApiPropertyOptional({ description: 'The decision that grounds it, e.g. a deliberation number' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  legalReference?: string;
}

/** A stop, a non-renewal, a termination: the why is required. */
export class RequiredReasonRequest {
  @ApiProperty({ description: 'Why this is recorded (kept with the events)' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(2000)
  reason!: string;

  @ApiPropertyOptional({ description: 'The decision that grounds it' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  legalReference?: string;
}

/** A catalogue change: the deliberation or amendment that decides it is required (R-CAT-1, R-CAT-5). */
export class LegalDecisionRequest {
  @ApiPropertyOptional({ description: 'Why this is recorded' })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  reason?: string;

  @ApiProperty({ description: 'The deliberation or amendment that decides it', example: 'CP-2025-4074' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  legalReference!: string;
}
