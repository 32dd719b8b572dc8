import { DEVELOPMENT_JWT_SECRET, signToken } from '@lib/contract';

/**
 * The operator CLI talks to the running API over HTTP, like any other client: its commands go through the
 * same validation, rules, audit metadata and idempotency, and it works whatever the store (an embedded
 * PGlite data directory can only be opened by one process, the API's).
 * API_URL (default http://localhost:3000/api); API_TOKEN (its subject is the operator the audit
 * records), or a token signed with JWT_SECRET (the development secret outside production) for the
 * subject CLI_ACTOR: required in production, where a shared `cli-operator` would hide who acted (R-AUD-1).
 */
export class ApiClient {
  readonly baseUrl: string;
  private readonly token: string;

  constructor(env: NodeJS.ProcessEnv = process.env, role: 'admin' | 'auditor' = 'admin') {
    this.baseUrl = (env.API_URL ?? `http://localhost:${env.PORT ?? '3000'}/api`).replace(/\/$/, '');
    const secret = env.JWT_SECRET ?? (env.NODE_ENV === 'production' ? undefined : DEVELOPMENT_JWT_SECRET);
    if (!env.API_TOKEN && !secret) throw new Error('Set API_TOKEN, or JWT_SECRET to sign one');
    this.token = env.API_TOKEN ?? signToken(secret!, { sub: operatorOf(env), role, expiresInSeconds: 3600 });
  }

  async request<T = unknown>(method: string, path: string, options: RequestOptions = {}): Promise<ApiResponse<T>> {
    const response = await this.fetch(method, path, options);
    const text = await response.text();
    const type = response.headers.get('content-type') ?? '';
    const body = (type.includes('json') && text ? JSON.parse(text) : text) as T;
    return { status: response.status, headers: response.headers, body };
  }

  /** The bare response, its body not read: for a download streamed as it comes. */
  async fetch(method: string, path: string, options: RequestOptions = {}): Promise<Response> {
    try {
      return await fetch(`${this.baseUrl}${path}`, {
        method,
        headers: {
          Authorization: `Bearer ${this.token}`,
          Accept: options.accept ?? 'application/json',
          ...(options.body !== undefined ? { 'Content-Type': 'application/json' } : {}),
          ...options.headers,
        },
        body: options.body !== undefined ? JSON.stringify(options.body) : undefined,
      });
    } catch (error) {
      throw new Error(
        `The API does not answer at ${this.baseUrl} (${error instanceof Error ? error.message : String(error)}): start it with npm start, or set API_URL`,
        {
          cause: error,
        },
      );
    }
  }
}

/** Who signs a CLI-made token: CLI_ACTOR; outside production, `cli-operator` when unset. */
export function operatorOf(env: NodeJS.ProcessEnv): string {
  const actor = env.CLI_ACTOR?.trim();
  if (actor) return actor;
  if (env.CLI_ACTOR !== undefined) throw new Error('CLI_ACTOR is set but empty: name the operator, e.g. CLI_ACTOR=jdupont');
  if (env.NODE_ENV === 'production')
    throw new Error('Set CLI_ACTOR (the operator the audit records), or API_TOKEN: a shared cli-operator is refused in production');
  return 'cli-operator';
}

export interface RequestOptions {
  body?: unknown;
  headers?: Record<string, string>;
  accept?: string;
}

export interface ApiResponse<T> {
  status: number;
  headers: Headers;
  body: T;
}

/** A problem+json answer as one line for an operator: status, title, rule, fields. */
export function describeProblem(status: number, body: unknown): string {
  if (typeof body !== 'object' || body === null) return `HTTP ${status}: ${String(body)}`;
  const problem = body as { title?: string; detail?: string; rule?: string; errors?: Array<{ field: string; message: string }> };
  const fields = problem.errors?.map((e) => `${e.field}: ${e.message}`).join('; ');
  return `HTTP ${status} ${problem.title ?? ''}${problem.rule ? ` (${problem.rule})` : ''}: ${problem.detail ?? ''}${fields ? ` [${fields}]` : ''}`;
}
