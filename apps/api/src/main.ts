import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { createApp } from './bootstrap';
import { ConfigError, loadConfig } from './config/app-config';
import { signToken } from '@lib/contract';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`Configuration error: ${error.message}`);
      process.exit(1);
    }
    throw error;
  }
  const app = await createApp(config);
  await app.listen(config.port, config.host);
  const logger = new Logger('Main');
  // The bound port, not the configured one: PORT=0 lets the system choose (tests, several instances).
  const { port } = (app.getHttpServer() as Server).address() as AddressInfo;
  logger.log(
    `Listening on http://${config.host}:${port}/api (store: ${config.eventStore}${config.eventStore === 'pglite' ? `, data in ${config.dataDir}` : ''}); OpenAPI at /api/docs`,
  );
  if (config.auth.kind === 'hs256' && config.auth.development) {
    logger.warn('JWT_SECRET is not set: using the development secret (refused when NODE_ENV=production).');
    logger.warn(`A development admin token (12 h): ${signToken(config.auth.secret, { sub: 'dev-admin', role: 'admin' })}`);
    logger.warn('Other tokens: npm run cli -- token --role auditor|commune|consumer [--insee 69123] [--sub name]');
  }
}

void main();
