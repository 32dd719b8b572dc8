import { ConfigError, loadConfig } from './app-config';

describe('configuration: the database bounds (DATABASE_*_TIMEOUT_MS)', () => {
  it('defaults to 5 s to connect, 15 s a statement, 5 s a lock, 15 s idle in a transaction', () => {
    expect(loadConfig({}).database).toEqual({
      connectTimeoutMs: 5_000,
      statementTimeoutMs: 15_000,
      lockTimeoutMs: 5_000,
      idleInTransactionTimeoutMs: 15_000,
    });
  });

  it('reads each from its variable', () => {
    const config = loadConfig({
      DATABASE_CONNECT_TIMEOUT_MS: '2000',
      DATABASE_STATEMENT_TIMEOUT_MS: '3000',
      DATABASE_LOCK_TIMEOUT_MS: '1000',
      DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS: '4000',
    });
    expect(config.database).toEqual({
      connectTimeoutMs: 2_000,
      statementTimeoutMs: 3_000,
      lockTimeoutMs: 1_000,
      idleInTransactionTimeoutMs: 4_000,
    });
  });

  it.each([
    ['DATABASE_CONNECT_TIMEOUT_MS', '0'],
    ['DATABASE_STATEMENT_TIMEOUT_MS', 'soon'],
    ['DATABASE_LOCK_TIMEOUT_MS', '-5'],
    ['DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS', '1.5'],
    // 0 would mean "no bound" to PostgreSQL: refused, so a bound can never be switched off by mistake.
    ['DATABASE_STATEMENT_TIMEOUT_MS', '0'],
  ])('refuses %s=%s at start, naming the variable', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(name);
  });
});
