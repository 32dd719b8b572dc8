import { INestApplication, ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import helmet from 'helmet';
import { Server } from 'node:http';
import { SwaggerModule } from '@nestjs/swagger';
import { EventStoreOptions } from '@lib/event-store/event-store.module';
import { AppModule } from './app.module';
import { AppConfig } from './config/app-config';
import { ValidationProblem, fieldErrorsOf } from './problem-details';
import { jsonBody } from './http/json-body';
import { HostileParameterPipe } from './http/hostile-input';
import { answerClientErrorsAsProblems } from './http/client-error';
import { openApiDocument } from './http/openapi';
import { serveBackOffice } from './http/back-office';

/** Builds the configured application; main.ts and the e2e tests share it, so tests run what ships. */
export async function createApp(config: AppConfig, storeOptions?: EventStoreOptions): Promise<INestApplication> {
  const app = await NestFactory.create(AppModule.forRoot(config, storeOptions), {
    logger: loggerLevels(config.logLevel),
    // http/json-body.ts parses bodies: JSON objects only, every failure a problem+json (API.md).
    bodyParser: false,
  });
  // The usual security headers, and no X-Powered-By. Helmet's default policy already lets the OpenAPI
  // page (/api/docs) run: its scripts are files of this origin, its only inline code is style. Without
  // upgrade-insecure-requests: served over plain HTTP (development, a private network), the page's own
  // files would be asked for over HTTPS and fail.
  app.use(helmet({ contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } } }));
  app.use(jsonBody);
  serveBackOffice(app);
  app.setGlobalPrefix('api');
  app.enableShutdownHooks();
  answerClientErrorsAsProblems(app.getHttpServer() as Server);
  app.useGlobalPipes(
    new HostileParameterPipe(),
    new ValidationPipe({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      validationError: { target: false, value: false },
      exceptionFactory: (errors) => new ValidationProblem(fieldErrorsOf(errors)),
    }),
  );
  const document = openApiDocument(app);
  SwaggerModule.setup('api/docs', app, document, { jsonDocumentUrl: 'api/docs-json' });
  return app;
}

function loggerLevels(level: AppConfig['logLevel']): Array<'error' | 'warn' | 'log' | 'debug' | 'verbose' | 'fatal'> {
  const order = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'] as const;
  return order.slice(0, order.indexOf(level) + 1);
}
