import { Command, CommandRunner, Option } from 'nest-commander';
import { DEVELOPMENT_JWT_SECRET, Role, isRole, signToken } from '@lib/contract';

interface TokenOptions {
  role: Role;
  sub?: string;
  insee?: string;
  services?: string[];
  hours: number;
}

/** Prints an HS256 bearer token signed with JWT_SECRET (or the development secret outside production). */
@Command({ name: 'token', description: 'print a bearer token for the API (HS256, JWT_SECRET)' })
export class TokenCommand extends CommandRunner {
  async run(_: string[], options: TokenOptions): Promise<void> {
    if (!options.role) throw new Error('--role is required (admin, auditor, commune, consumer)');
    if (options.role === 'commune' && !options.insee) throw new Error('--insee is required for a commune token');
    const secret = process.env.JWT_SECRET ?? (process.env.NODE_ENV === 'production' ? undefined : DEVELOPMENT_JWT_SECRET);
    if (!secret) throw new Error('JWT_SECRET is not set');
    process.stdout.write(
      signToken(secret, {
        sub: options.sub ?? `cli-${options.role}`,
        role: options.role,
        insee: options.insee,
        services: options.services,
        expiresInSeconds: options.hours * 3600,
      }) + '\n',
    );
  }

  @Option({ flags: '-r, --role <role>', description: 'admin | auditor | commune | consumer', required: true })
  parseRole(value: string): Role {
    if (!isRole(value)) throw new Error(`Unknown role ${value}`);
    return value;
  }

  @Option({ flags: '-s, --sub <subject>', description: 'the subject (who acts)' })
  parseSub(value: string): string {
    return value;
  }

  @Option({ flags: '-i, --insee <code>', description: 'the commune, for role commune' })
  parseInsee(value: string): string {
    return value;
  }

  @Option({ flags: '--services <ids>', description: 'comma-separated services a consumer may follow' })
  parseServices(value: string): string[] {
    return value.split(',').filter(Boolean);
  }

  @Option({
    flags: '--hours <n>',
    description:
      'validity in hours (default 12; the API refuses tokens that live longer than its JWT_MAX_LIFETIME_SECONDS, 24 h by default)',
    defaultValue: 12,
  })
  parseHours(value: string): number {
    const hours = Number(value);
    if (!Number.isFinite(hours) || hours <= 0) throw new Error('--hours must be a positive number');
    return hours;
  }
}
