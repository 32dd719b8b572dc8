/**
 * A decider refuses a command by returning a Refusal: the rule it breaks (R-…), a stable code, and the
 * facts that refused it. Tests assert on `rule` and `code`, never on message text.
 */
export interface Refusal {
  readonly kind: 'refusal';
  readonly rule: string;
  readonly code: string;
  readonly detail: string;
  readonly facts: Readonly<Record<string, unknown>>;
  /** `conflict` when the command collides with the current state (HTTP 409); `rule` otherwise (422). */
  readonly category: 'rule' | 'conflict' | 'not_found';
}

export function refusal(
  rule: string,
  code: string,
  detail: string,
  facts: Record<string, unknown> = {},
  category: Refusal['category'] = 'rule',
): Refusal {
  return { kind: 'refusal', rule, code, detail, facts, category };
}

export function isRefusal(value: unknown): value is Refusal {
  return typeof value === 'object' && value !== null && (value as Refusal).kind === 'refusal';
}
