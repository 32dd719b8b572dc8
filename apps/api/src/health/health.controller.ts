import { Controller, Get, HttpCode, Inject, ServiceUnavailableException } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { EVENT_STORE, EventStore } from '@lib/event-store/event-store.port';
import { SQL_DATABASE } from '@lib/event-store/event-store.module';
import { SqlDatabase } from '@lib/event-store/sql/sql-database';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { Public } from '../auth/auth.guard';
import { TokenVerifier } from '../auth/token-verifier';
import { ProjectionHost, Readiness } from '../projections/projection-host';
import { withinBound } from '../projections/within-bound';
import { ApiAnswer, ApiProblems } from '../http/openapi';

/**
 * Liveness (GET /api/health/live: the process; GET /api/health, as API.md has it: the process and its
 * store) and readiness (GET /api/health/ready). Those that touch the database are bounded: with the
 * database hung, each answers 503 within DATABASE_CONNECT_TIMEOUT_MS rather than wait with it.
 */
@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(SQL_DATABASE) private readonly db: SqlDatabase,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly projections: ProjectionHost,
    private readonly verifier: TokenVerifier,
  ) {}

  /** Kept as API.md has it (liveness and store reachability): the process answers, and so does its store. */
  @Public()
  @Get()
  @HttpCode(200)
  @ApiOperation({
    summary: 'Liveness and store reachability',
    description:
      'The process answers and its event store and database answer `SELECT 1` within DATABASE_CONNECT_TIMEOUT_MS. ' +
      'It does not look at the projections: use /api/health/ready to route traffic.',
  })
  @ApiAnswer('Health', { description: 'Up, and the store answers' })
  @ApiProblems(503)
  async health(): Promise<{ status: 'ok'; eventStore: string }> {
    try {
      await withinBound(Promise.all([this.store.ping(), this.db.query('SELECT 1')]), this.config.database.connectTimeoutMs);
    } catch {
      throw new ServiceUnavailableException('The event store is not reachable');
    }
    return { status: 'ok', eventStore: this.config.eventStore };
  }

  /** For an orchestrator's liveness probe: restarting the process does not help while its database is away. */
  @Public()
  @Get('live')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Liveness only',
    description: 'The process answers. It touches no database, so a database outage never gets a healthy process restarted.',
  })
  @ApiAnswer('Liveness', { description: 'The process is up' })
  live(): { status: 'live' } {
    return { status: 'live' };
  }

  @Public()
  @Get('ready')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Readiness, for a load balancer',
    description:
      'Ready when the store answers within DATABASE_CONNECT_TIMEOUT_MS and every projection reaches the head of the store ' +
      'within 2 s: running in this process if it leads the projections (`role: leader`), or, on a follower, the checkpoints ' +
      'of the process that leads (`leader`), which must exist. Otherwise 503 problem+json naming the role and, for each ' +
      'projection, its checkpoint, lag in events and (on the leader) state.',
  })
  @ApiOkResponse({
    description: 'Ready: commands are stored and reads without minPosition are current',
    content: {
      'application/json': {
        schema: { $ref: '#/components/schemas/Readiness' },
        example: {
          status: 'ready',
          role: 'leader',
          leader: 'conventions-cadre api-1:4121',
          head: '812-40',
          projections: [{ name: 'entitlements', state: 'running', position: '812-40' }],
        },
      },
    },
  })
  @ApiResponse({
    status: 503,
    description:
      'Not ready (store away, no leader, a projection failed, or behind): problem+json with `role`, `leader?` and ' +
      '`projections: [{name, state?, position, lagEvents?, failure?}]`',
    content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
    headers: { 'Retry-After': { description: 'Seconds to wait before retrying', schema: { type: 'integer', minimum: 0 } } },
  })
  async ready(): Promise<{ status: 'ready'; identityProvider: string } & Pick<Readiness, 'role' | 'leader' | 'head' | 'projections'>> {
    const [{ ready, reason, role, leader, head, projections }, identityProvider] = await Promise.all([
      this.projections.readiness(this.config.database.connectTimeoutMs),
      this.verifier.identityProvider(),
    ]);
    // Without its identity provider's keys this process can only answer 503 to authenticated requests.
    if (!ready || identityProvider === 'unreachable') {
      throw new ServiceUnavailableException({
        message: ready ? 'the identity provider (JWT_JWKS_URL) cannot be reached' : reason,
        problem: {
          type: '/problems/not-ready',
          role,
          ...(leader ? { leader } : {}),
          ...(head ? { head } : {}),
          projections,
          identityProvider,
        },
      });
    }
    return { status: 'ready', identityProvider, role, leader, head, projections };
  }
}
