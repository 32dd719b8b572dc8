import 'reflect-metadata';
import { CommandFactory } from 'nest-commander';
import { CliModule } from './cli.module';

/** What `--help` says after the commands: every variable the CLI reads. */
export const ENVIRONMENT_HELP = `
Environment:
  API_URL      the API (default http://localhost:$PORT/api, PORT default 3000)
  API_TOKEN    bearer token sent to the API; its subject (sub) is the operator the audit records
  CLI_ACTOR    without API_TOKEN: the operator recorded in the audit, in a token signed with JWT_SECRET
               (required when NODE_ENV=production; outside production it defaults to cli-operator)
  JWT_SECRET   without API_TOKEN: the API's HS256 secret, to sign a token (the development secret outside production)
  NODE_ENV     production: no development secret, no default operator
  PORT         the API's port when API_URL is unset
  DATABASE_URL import-events: the PostgreSQL store, when --database-url is not given
`;

/** The operator CLI: `npx conventions <command> [options]` (built once), `--help` lists the commands. */
async function main(): Promise<void> {
  await CommandFactory.run(CliModule, {
    cliName: 'conventions',
    helpConfiguration: {
      // commander's own help, then the environment it does not know about.
      formatHelp(command, helper) {
        const own = (Object.getPrototypeOf(this) as { formatHelp: typeof helper.formatHelp }).formatHelp.call(this, command, helper);
        return command.parent ? own : own + ENVIRONMENT_HELP;
      },
    },
    logger: ['error', 'warn'],
    // A usage error (from commander) and a failing command both end with a message and exit code 1.
    errorHandler: (error) => fail(error),
    serviceErrorHandler: (error) => fail(error),
  });
}

function fail(error: Error): never {
  // commander ends --help and --version with an "error" whose exit code is 0.
  const exitCode = (error as { exitCode?: unknown }).exitCode;
  if (exitCode === 0) process.exit(0);
  if (!(error as { code?: unknown }).code?.toString().startsWith('commander.')) console.error(error.message);
  process.exit(typeof exitCode === 'number' ? exitCode : 1);
}

void main();
