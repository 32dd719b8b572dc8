import 'reflect-metadata';
import { CommandFactory } from 'nest-commander';
import { CliModule } from './cli.module';

/** The operator CLI: `npm run cli -- <command> [options]`, `npm run cli -- --help` lists the commands. */
async function main(): Promise<void> {
  await CommandFactory.run(CliModule, {
    logger: ['error', 'warn'],
    // A usage error (from commander) and a failing command both end with a message and exit code 1.
    errorHandler: (error) => fail(error),
    serviceErrorHandler: (error) => fail(error),
  });
}

function fail(error: Error): never {
  console.error(error.message);
  process.exit(1);
}

void main();
