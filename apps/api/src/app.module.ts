import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { JwtModule } from '@nestjs/jwt';
import { ScheduleModule } from '@nestjs/schedule';
import { ApplicationModule } from '@lib/application';
import { EventStoreModule, EventStoreOptions } from '@lib/event-store/event-store.module';
import { APP_CONFIG, AppConfig } from './config/app-config';
import { AuthGuard } from './auth/auth.guard';
import { TokenVerifier } from './auth/token-verifier';
import { ProblemDetailsFilter } from './problem-details.filter';
import { HealthController } from './health/health.controller';
import { IdempotencyStore } from './idempotency/idempotency.store';
import { IdempotencyInterceptor } from './idempotency/idempotency.interceptor';
import { ConventionsController } from './conventions/conventions.controller';
import { CatalogueController } from './catalogue/catalogue.controller';
import { ReferenceController } from './reference/reference.controller';
import { LifecycleController } from './lifecycle/lifecycle.controller';
import { ProjectionHost } from './projections/projection-host';

export function eventStoreOptionsOf(config: AppConfig): EventStoreOptions {
  switch (config.eventStore) {
    case 'pglite':
      return { kind: 'pglite', dataDir: config.dataDir };
    case 'postgres':
      return { kind: 'postgres', databaseUrl: config.databaseUrl! };
    case 'eventstoredb':
      return { kind: 'eventstoredb', esdbConnectionString: config.esdbConnectionString!, databaseUrl: config.databaseUrl, dataDir: config.dataDir };
  }
}

/** Shared infrastructure of every HTTP feature: configuration, auth, errors, idempotency. */
@Module({})
export class AppModule {
  /** `storeOptions` lets tests give each suite its own database while keeping every other part real. */
  static forRoot(config: AppConfig, storeOptions: EventStoreOptions = eventStoreOptionsOf(config)): DynamicModule {
    return {
      module: AppModule,
      imports: [EventStoreModule.forRoot(storeOptions), JwtModule.register({}), ScheduleModule.forRoot(), ApplicationModule],
      controllers: [HealthController, ConventionsController, CatalogueController, ReferenceController, LifecycleController],
      providers: [
        { provide: APP_CONFIG, useValue: config },
        TokenVerifier,
        IdempotencyStore,
        IdempotencyInterceptor,
        ProjectionHost,
        { provide: APP_GUARD, useClass: AuthGuard },
        { provide: APP_FILTER, useClass: ProblemDetailsFilter },
      ],
    };
  }
}
