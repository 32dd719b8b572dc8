import { Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { ConventionCommandHandler, SignConventionHandler } from './convention.handlers';
import { CatalogueCommandHandler } from './catalogue.handlers';
import { CommuneCommandHandler, SyntecCommandHandler } from './reference.handlers';
import { RunLifecycleHandler } from './lifecycle/run-lifecycle';
import { CatalogueSeeder, SeedCatalogueHandler } from './catalogue/catalogue-seeder';

/**
 * The command handlers behind the CommandBus, the one way every writer reaches the store, and the
 * catalogue's seeding at start. Needs EventStoreModule (global) in the importing app; IssueLedgerHandler
 * is registered by the app that provides its facts (ISSUE_LEDGER_PORTS).
 */
@Module({
  imports: [CqrsModule.forRoot()],
  providers: [
    SignConventionHandler,
    ConventionCommandHandler,
    CatalogueCommandHandler,
    CommuneCommandHandler,
    SyntecCommandHandler,
    RunLifecycleHandler,
    SeedCatalogueHandler,
    CatalogueSeeder,
  ],
  exports: [CqrsModule],
})
export class ApplicationModule {}
