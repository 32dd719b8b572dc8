import { ConsoleLogger, INestApplication, ValidationPipe } from '@nestjs/common';
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
import { Metrics } from './operations/metrics';
import { requestLog } from './operations/request-log';
import { metricsEndpoint } from './operations/metrics-endpoint';
import { serveBackOffice } from './http/back-office';

/** What a browser back office may send and read across origins (CORS_ORIGINS, docs/operations.md). */
const CORS_ALLOWED_HEADERS = ['Authorization', 'Content-Type', 'Idempotency-Key', 'If-Match', 'X-Correlation-Id', 'Last-Event-ID'];
const CORS_EXPOSED_HEADERS = ['ETag', 'Location', 'Retry-After', 'Idempotent-Replayed'];

/** Builds the configured application; main.ts and the e2e tests share it, so tests run what ships. */
export async function createApp(config: AppConfig, storeOptions?: EventStoreOptions): Promise<INestApplication> {
  const app = await NestFactory.create(AppModule.forRoot(config, storeOptions), {
    // JSON lines without colour for log collectors (LOG_FORMAT, by default unless stdout is a terminal).
    logger: new ConsoleLogger({
      json: config.operations.logFormat === 'json',
      colors: config.operations.logFormat === 'text' && process.stdout.isTTY === true,
      logLevels: loggerLevels(config.logLevel),
    }),
    // http/json-body.ts parses bodies: JSON objects only, every failure a problem+json (API.md).
    bodyParser: false,
  });
  const metrics = app.get(Metrics);
  // First, so that every answer is logged and measured, the guard's 401s and the parser's 400s included.
  app.use(requestLog(metrics));
  const origins = config.operations.corsOrigins;
  if (origins.length > 0)
    app.enableCors({
      // A callback answering false sends no CORS header at all to an origin not listed (not even on a preflight).
      origin: (origin: string | undefined, allow: (error: Error | null, allowed: boolean) => void) =>
        allow(null, origins.includes('*') || (origin !== undefined && origins.includes(origin))),
      methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
      allowedHeaders: CORS_ALLOWED_HEADERS,
      exposedHeaders: CORS_EXPOSED_HEADERS,
      maxAge: 600,
    });
  // The usual security headers, and no X-Powered-By. Helmet's default policy already lets the OpenAPI
  // page (/api/docs) run: its scripts are files of this origin, its only inline code is style. Without
  // upgrade-insecure-requests: served over plain HTTP (development, a private network), the page's own
  // files would be asked for over HTTPS and fail.
  app.use(helmet({ contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } } }));
  // After helmet, so that its headers go on the metrics too.
  if (config.operations.metricsToken) app.use('/metrics', metricsEndpoint(metrics, config.operations.metricsToken));
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
