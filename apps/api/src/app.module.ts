import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { ScheduleModule } from '@nestjs/schedule';
import { ApplicationModule } from '@lib/application';
import { EventStoreModule, EventStoreOptions } from '@lib/event-store/event-store.module';
import { AppConfig } from './config/app-config';
import { CoreModule } from './core.module';
import { AuthGuard } from './auth/auth.guard';
import { ProblemDetailsFilter } from './problem-details.filter';
import { HealthController } from './health/health.controller';
import { ConventionsController } from './conventions/conventions.controller';
import { CatalogueController } from './catalogue/catalogue.controller';
import { ReferenceController } from './reference/reference.controller';
import { LifecycleController } from './lifecycle/lifecycle.controller';
import { LedgersModule } from './ledgers/ledgers.module';
import { AuditModule } from './audit/audit.module';
import { EntitlementsModule } from './entitlements/entitlements.module';
import { OperationsModule } from './operations/operations.module';
import { FeedModule } from './feed/feed.module';
import { CommuneCheck } from './communes/commune-check';
import { CommunesController } from './communes/communes.controller';
import { DevTokensController } from './dev/dev-tokens.controller';

export function eventStoreOptionsOf(config: AppConfig): EventStoreOptions {
  switch (config.eventStore) {
    case 'pglite':
      return { kind: 'pglite', dataDir: config.dataDir };
    case 'postgres':
      return { kind: 'postgres', databaseUrl: config.databaseUrl!, schema: config.databaseSchema, timeouts: config.database };
    case 'eventstoredb':
      return {
        kind: 'eventstoredb',
        esdbConnectionString: config.esdbConnectionString!,
        databaseUrl: config.databaseUrl,
        dataDir: config.dataDir,
        timeouts: config.database,
      };
  }
}

@Module({})
export class AppModule {
  /** `storeOptions` lets tests give each suite its own database while keeping every other part real. */
  static forRoot(config: AppConfig, storeOptions: EventStoreOptions = eventStoreOptionsOf(config)): DynamicModule {
    return {
      module: AppModule,
      imports: [
        EventStoreModule.forRoot(storeOptions),
        CoreModule.forRoot(config),
        ScheduleModule.forRoot(),
        ApplicationModule,
        LedgersModule,
        EntitlementsModule,
        AuditModule,
        OperationsModule,
        FeedModule,
      ],
      controllers: [
        HealthController,
        ConventionsController,
        CatalogueController,
        ReferenceController,
        LifecycleController,
        CommunesController,
        // The development sign-in exists only outside production, and only where we sign HS256 tokens ourselves.
        ...(!config.production && config.auth.kind === 'hs256' ? [DevTokensController] : []),
      ],
      providers: [{ provide: APP_GUARD, useClass: AuthGuard }, { provide: APP_FILTER, useClass: ProblemDetailsFilter }, CommuneCheck],
    };
  }
}
