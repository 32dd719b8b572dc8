import { isIP } from 'node:net';
import { DEVELOPMENT_JWT_SECRET } from '@lib/contract';

/**
 * Configuration comes from the environment only (README, "Configuration"). Every value is checked at
 * start: a wrong one stops the process with a message naming the variable, never a later surprise.
 */
export type EventStoreKind = 'pglite' | 'postgres' | 'eventstoredb';
export type LogLevel = 'error' | 'warn' | 'log' | 'debug' | 'verbose';

export interface AppConfig {
  port: number;
  /** The address the HTTP server binds to: loopback unless a container (or the operator) opens it. */
  host: string;
  production: boolean;
  eventStore: EventStoreKind;
  dataDir: string;
  databaseUrl?: string;
  /** PostgreSQL: the schema the store and read models live in (created if missing); unset: the connection's search_path. */
  databaseSchema?: string;
  esdbConnectionString?: string;
  auth: AuthConfig;
  logLevel: LogLevel;
  /** Whether the daily lifecycle schedule runs in this process (R-CONV-4). */
  scheduler: boolean;
  feed: FeedConfig;
  database: DatabaseTimeouts;
  audit: AuditConfig;
  /**
   * `metropole`: facts are recorded only for the Métropole de Lyon's communes (R-COM-1..3, docs/communes.md);
   * `synthetic`: any well-formed code and name (load tests and benchmarks with thousands of made-up communes; the process says so at start).
   */
  communeCheck: 'metropole' | 'synthetic';
  operations: OperationsConfig;
}

/** Logs, metrics and CORS (docs/operations.md). */
export interface OperationsConfig {
  /** `json`: one JSON object a line, no colour (the default unless stdout is a terminal); `text`: Nest's coloured lines. */
  logFormat: 'json' | 'text';
  /** The bearer token GET /metrics wants; unset: /metrics answers 404. */
  metricsToken?: string;
  /** Exact origins a browser may call the API from; empty: no CORS headers at all. `*` is any origin (not in production). */
  corsOrigins: string[];
}

/** The verifiable log's signed tree heads (docs/audit.md). */
export interface AuditConfig {
  /** AUDIT_SIGNING_KEY as given: a PKCS#8 PEM text, or the path of a file holding one. Unset: a key in dataDir (not in production). */
  signingKey?: string;
  /** A head is signed this often when the tree has grown since the last one (0: only on demand). */
  headIntervalMs: number;
}

/** Bounds on every PostgreSQL call (README, "Configuration"; docs/failures.md): past one, 503. */
export interface DatabaseTimeouts {
  connectTimeoutMs: number;
  statementTimeoutMs: number;
  lockTimeoutMs: number;
  idleInTransactionTimeoutMs: number;
}

/** The feed's tuning (README, "Configuration"). */
export interface FeedConfig {
  /** A comment line on every idle stream this often, so that proxies and clients see the connection alive. */
  heartbeatMs: number;
  /** Events read from the database, and written to the socket, at a time by one stream. */
  streamPageSize: number;
  /** And at most this many bytes of them (but at least one event): a stream's memory stays bounded whatever the events' size. */
  streamPageBytes: number;
  /** The `retry:` hint sent to SSE clients: how long to wait before reconnecting. */
  retryMs: number;
  /** How long a stream token from POST /api/feed/stream-tokens opens GET /api/feed/stream (a browser's EventSource). */
  streamTokenTtlSeconds: number;
}

/** The most events one feed page or stream read may hold. */
export const FEED_PAGE_LIMIT = { default: 100, max: 1000 } as const;

export type AuthConfig = (
  | { kind: 'hs256'; secret: string; development: boolean }
  | {
      kind: 'jwks';
      jwksUrl: string;
      issuer?: string;
      audience?: string;
      /** Keys are fetched again past this age: a key the provider removed stops being trusted by then. */
      jwksCacheMaxAgeSeconds: number;
      /** A JWKS fetch taking longer is abandoned: the request answers 503 instead of hanging. */
      jwksTimeoutMs: number;
    }
) &
  TokenBounds;

/** What every token must satisfy whoever signed it: a bounded life, and clocks that agree within a tolerance. */
export interface TokenBounds {
  /** The longest a token may live, `exp` minus `iat` (or minus now when it has no `iat`). */
  maxLifetimeSeconds: number;
  /** How far the signer's clock may be from ours, for `exp`, `nbf` and `iat`. */
  clockToleranceSeconds: number;
}

const LOG_LEVELS: readonly LogLevel[] = ['error', 'warn', 'log', 'debug', 'verbose'];

export class ConfigError extends Error {}

/** `tty`: whether stdout is a terminal, which decides LOG_FORMAT's default. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, tty: boolean = process.stdout.isTTY === true): AppConfig {
  const production = env.NODE_ENV === 'production';
  const port = Number(env.PORT ?? '3000');
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError(`PORT must be a port number, got "${env.PORT}"`);
  const host = env.HOST || '127.0.0.1';
  if (!isIP(host) && !/^[a-zA-Z0-9.-]{1,253}$/.test(host))
    throw new ConfigError(`HOST must be an IP address or a host name, got "${env.HOST}"`);

  const eventStore = (env.EVENT_STORE ?? 'pglite') as EventStoreKind;
  if (!['pglite', 'postgres', 'eventstoredb'].includes(eventStore))
    throw new ConfigError(`EVENT_STORE must be pglite, postgres or eventstoredb, got "${env.EVENT_STORE}"`);
  if (eventStore === 'postgres' && !env.DATABASE_URL) throw new ConfigError('EVENT_STORE=postgres needs DATABASE_URL');
  if (eventStore === 'eventstoredb' && !env.ESDB_CONNECTION_STRING)
    throw new ConfigError('EVENT_STORE=eventstoredb needs ESDB_CONNECTION_STRING');

  const databaseSchema = env.DATABASE_SCHEMA || undefined;
  if (databaseSchema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(databaseSchema))
    throw new ConfigError(`DATABASE_SCHEMA must be a lower-case SQL identifier (a-z, 0-9, _), got "${databaseSchema}"`);

  // Fail closed: a production log whose heads anyone could sign with a key found on disk proves nothing.
  if (production && eventStore !== 'eventstoredb' && !env.AUDIT_SIGNING_KEY)
    throw new ConfigError(
      "NODE_ENV=production needs AUDIT_SIGNING_KEY (an Ed25519 PKCS#8 PEM, or its file path) to sign the log's tree heads",
    );

  const logLevel = (env.LOG_LEVEL ?? 'log') as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${env.LOG_LEVEL}"`);

  const communeCheck = env.COMMUNE_CHECK || 'metropole';
  if (communeCheck !== 'metropole' && communeCheck !== 'synthetic')
    throw new ConfigError(`COMMUNE_CHECK must be metropole or synthetic, got "${communeCheck}"`);

  return {
    port,
    host,
    production,
    eventStore,
    dataDir: env.DATA_DIR ?? './data',
    databaseUrl: env.DATABASE_URL || undefined,
    databaseSchema,
    esdbConnectionString: env.ESDB_CONNECTION_STRING || undefined,
    auth: authConfig(env, production),
    logLevel,
    scheduler: env.LIFECYCLE_SCHEDULE !== 'off',
    feed: {
      heartbeatMs: integer(env, 'FEED_HEARTBEAT_MS', 15_000, 10, 3_600_000),
      streamPageSize: integer(env, 'FEED_STREAM_PAGE_SIZE', 100, 1, FEED_PAGE_LIMIT.max),
      streamPageBytes: integer(env, 'FEED_STREAM_PAGE_BYTES', 256 * 1024, 1, 64 * 1024 * 1024),
      retryMs: integer(env, 'FEED_RETRY_MS', 2_000, 0, 3_600_000),
      streamTokenTtlSeconds: integer(env, 'FEED_STREAM_TOKEN_TTL_SECONDS', 60, 1, 3_600),
    },
    database: {
      connectTimeoutMs: integer(env, 'DATABASE_CONNECT_TIMEOUT_MS', 5_000, 100, 600_000),
      statementTimeoutMs: integer(env, 'DATABASE_STATEMENT_TIMEOUT_MS', 15_000, 100, 3_600_000),
      lockTimeoutMs: integer(env, 'DATABASE_LOCK_TIMEOUT_MS', 5_000, 100, 3_600_000),
      idleInTransactionTimeoutMs: integer(env, 'DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS', 15_000, 100, 3_600_000),
    },
    audit: {
      signingKey: env.AUDIT_SIGNING_KEY || undefined,
      headIntervalMs: integer(env, 'AUDIT_HEAD_INTERVAL_SECONDS', 600, 0, 31 * 86_400) * 1000,
    },
    communeCheck,
    operations: operationsConfig(env, production, tty),
  };
}

/** RFC 6750's b64token: what may follow `Bearer ` in a header. */
const BEARER_TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

function operationsConfig(env: NodeJS.ProcessEnv, production: boolean, tty: boolean): OperationsConfig {
  const logFormat = env.LOG_FORMAT || (tty ? 'text' : 'json');
  if (logFormat !== 'json' && logFormat !== 'text') throw new ConfigError(`LOG_FORMAT must be json or text, got "${logFormat}"`);
  const metricsToken = env.METRICS_TOKEN || undefined;
  // A short token is guessable; one that cannot be sent as a bearer token would lock out every scraper.
  if (metricsToken !== undefined && (metricsToken.length < 16 || !BEARER_TOKEN.test(metricsToken)))
    throw new ConfigError('METRICS_TOKEN must be at least 16 characters of A-Z a-z 0-9 - . _ ~ + / (a bearer token)');
  return { logFormat, metricsToken, corsOrigins: corsOriginsOf(env.CORS_ORIGINS, production) };
}

/** Exact origins, `scheme://host[:port]`: anything else (a path, a trailing slash, a wildcard host) would never match a browser's Origin. */
function corsOriginsOf(text: string | undefined, production: boolean): string[] {
  if (text === undefined || text.trim() === '') return [];
  const origins = text.split(',').map((origin) => origin.trim());
  for (const origin of origins) {
    if (origin === '*') {
      // Any site could then read what a logged-in operator's browser can: never in production.
      if (production) throw new ConfigError('CORS_ORIGINS=* (any origin) is refused when NODE_ENV=production: list the exact origins');
      if (origins.length > 1) throw new ConfigError('CORS_ORIGINS: * (any origin) cannot be combined with other origins');
      continue;
    }
    const url = URL.canParse(origin) ? new URL(origin) : undefined;
    if (!url || !/^https?:$/.test(url.protocol) || url.origin !== origin || !/^[a-z0-9.\-[\]:]+$/.test(url.host))
      throw new ConfigError(
        `CORS_ORIGINS must be comma-separated origins such as https://backoffice.example.org (scheme, host, optional port; no path), got "${origin}"`,
      );
  }
  return origins;
}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max)
    throw new ConfigError(`${name} must be an integer from ${min} to ${max}, got "${text}"`);
  return value;
}

function authConfig(env: NodeJS.ProcessEnv, production: boolean): AuthConfig {
  const bounds: TokenBounds = {
    maxLifetimeSeconds: integer(env, 'JWT_MAX_LIFETIME_SECONDS', 24 * 3600, 60, 366 * 24 * 3600),
    clockToleranceSeconds: integer(env, 'JWT_CLOCK_TOLERANCE_SECONDS', 30, 0, 600),
  };
  if (env.JWT_JWKS_URL) {
    if (!URL.canParse(env.JWT_JWKS_URL) || !/^https?:$/.test(new URL(env.JWT_JWKS_URL).protocol))
      throw new ConfigError(`JWT_JWKS_URL must be an http(s) URL, got "${env.JWT_JWKS_URL}"`);
    return {
      kind: 'jwks',
      jwksUrl: env.JWT_JWKS_URL,
      jwksCacheMaxAgeSeconds: integer(env, 'JWT_JWKS_CACHE_MAX_AGE_SECONDS', 300, 1, 24 * 3600),
      jwksTimeoutMs: integer(env, 'JWT_JWKS_TIMEOUT_MS', 5_000, 100, 60_000),
      issuer: env.JWT_ISSUER || undefined,
      audience: env.JWT_AUDIENCE || undefined,
      ...bounds,
    };
  }
  if (env.JWT_SECRET) {
    if (production && env.JWT_SECRET.length < 32) throw new ConfigError('JWT_SECRET must be at least 32 characters in production');
    return { kind: 'hs256', secret: env.JWT_SECRET, development: false, ...bounds };
  }
  if (production) throw new ConfigError('NODE_ENV=production needs JWT_SECRET (HS256) or JWT_JWKS_URL (RS256 through an OIDC provider)');
  return { kind: 'hs256', secret: DEVELOPMENT_JWT_SECRET, development: true, ...bounds };
}

export const APP_CONFIG = Symbol('APP_CONFIG');
