/** The roles a token may carry (API.md): each route says which it allows. */
export const ROLES = ['admin', 'auditor', 'commune', 'consumer'] as const;
export type Role = (typeof ROLES)[number];

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}
