import { Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { CatalogueCommandHandler, CommuneCommandHandler, ConventionCommandHandler, SyntecCommandHandler } from './handlers';
import { LifecycleService } from './lifecycle/lifecycle.service';
import { CatalogueSeeder } from './catalogue/catalogue-seeder';

/** Command handlers and the time-driven process; needs EventStoreModule (global) in the importing app. */
@Module({
  imports: [CqrsModule.forRoot()],
  providers: [ConventionCommandHandler, CatalogueCommandHandler, CommuneCommandHandler, SyntecCommandHandler, LifecycleService, CatalogueSeeder],
  exports: [CqrsModule, LifecycleService],
})
export class ApplicationModule {}
