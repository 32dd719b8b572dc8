import { Body, Controller, HttpCode, Inject, Post } from '@nestjs/common';
import { ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsIn, IsNotEmpty, IsString, Matches, MaxLength, ValidateIf } from 'class-validator';
import { ROLES, Role, signToken } from '@lib/contract';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { Public } from '../auth/auth.guard';
import { ApiAnswer, ApiProblems } from '../http/openapi';
import { IsInsee } from '../http/validators';
import { ValidationProblem } from '../problem-details';

export class DevTokenRequest {
  @ApiProperty({ enum: ROLES, example: 'admin' })
  @IsIn(ROLES)
  role!: Role;

  @ApiProperty({ description: 'Who the audit will record as the actor', example: 'marie.dupont' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  @Matches(/^[\p{L}\p{N}._@-]+$/u, { message: 'sub is letters, digits and . _ @ - only' })
  sub!: string;

  @ApiPropertyOptional({ description: 'Required for the commune role, refused otherwise', example: '69123' })
  @ValidateIf((request: DevTokenRequest) => request.role === 'commune' || request.insee !== undefined)
  @IsInsee()
  insee?: string;
}

/**
 * The back office's development sign-in (apps/back-office): a token signed with the configured HS256
 * secret. AppModule registers this controller only outside production, where the route does not exist
 * (404) and tokens come from the OIDC provider.
 */
@ApiTags('development')
@Controller('dev')
export class DevTokensController {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  @Public()
  @Post('tokens')
  @HttpCode(201)
  @ApiOperation({
    summary: 'A development token (not in production)',
    description:
      'Signs a 12-hour HS256 token for the role and name given. Absent when NODE_ENV=production (404) or with JWKS verification.',
  })
  @ApiAnswer('DevToken', { status: 201, description: 'The token' })
  @ApiProblems(400, 404, 413, 415)
  issue(@Body() request: DevTokenRequest): { token: string; role: Role; sub: string; insee: string | null } {
    if (this.config.auth.kind !== 'hs256') throw new Error('unreachable: registered only with HS256');
    // A stray insee on another role would be ignored by the guard: refuse it rather than mislead.
    if (request.role !== 'commune' && request.insee !== undefined)
      throw new ValidationProblem([{ field: 'insee', message: 'insee is only for the commune role', constraint: 'communeOnly' }]);
    const token = signToken(this.config.auth.secret, { sub: request.sub, role: request.role, insee: request.insee });
    return { token, role: request.role, sub: request.sub, insee: request.insee ?? null };
  }
}
