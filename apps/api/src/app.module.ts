import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { JwtModule } from '@nestjs/jwt';
import { EventStoreModule, EventStoreOptions } from '@lib/event-store/event-store.module';
import { APP_CONFIG, AppConfig } from './config/app-config';
import { AuthGuard } from './auth/auth.guard';
import { TokenVerifier } from './auth/token-verifier';
import { ProblemDetailsFilter } from './problem-details.filter';
import { HealthController } from './health/health.controller';

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

@Module({})
export class AppModule {
  /** `storeOptions` lets tests give each suite its own database while keeping every other part real. */
  static forRoot(config: AppConfig, storeOptions: EventStoreOptions = eventStoreOptionsOf(config)): DynamicModule {
    return {
      module: AppModule,
      imports: [EventStoreModule.forRoot(storeOptions), JwtModule.register({})],
      controllers: [HealthController],
      providers: [
        { provide: APP_CONFIG, useValue: config },
        TokenVerifier,
        { provide: APP_GUARD, useClass: AuthGuard },
        { provide: APP_FILTER, useClass: ProblemDetailsFilter },
      ],
    };
  }
}
