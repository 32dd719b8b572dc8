import { DynamicModule, Global, Module } from '@nestjs/common';
import { JwtModule } from '@nestjs/jwt';
import { APP_CONFIG, AppConfig } from './config/app-config';
import { TokenVerifier } from './auth/token-verifier';
import { StreamTokens } from './auth/stream-tokens';
import { IdempotencyStore } from './idempotency/idempotency.store';
import { IdempotencyInterceptor } from './idempotency/idempotency.interceptor';
import { ProjectionHost } from './projections/projection-host';
import { CLOCK, systemClock } from './clock';
import { Metrics } from './operations/metrics';

/** What every feature module uses: configuration, the clock, tokens, idempotency, the projection host, the metrics. */
@Global()
@Module({})
export class CoreModule {
  static forRoot(config: AppConfig): DynamicModule {
    const providers = [
      { provide: APP_CONFIG, useValue: config },
      { provide: CLOCK, useValue: systemClock },
      TokenVerifier,
      StreamTokens,
      IdempotencyStore,
      IdempotencyInterceptor,
      ProjectionHost,
      Metrics,
    ];
    return {
      module: CoreModule,
      imports: [JwtModule.register({})],
      providers,
      exports: [APP_CONFIG, CLOCK, TokenVerifier, StreamTokens, IdempotencyStore, IdempotencyInterceptor, ProjectionHost, Metrics],
    };
  }
}
