import { applyDecorators } from '@nestjs/common';
import { ApiQuery } from '@nestjs/swagger';
import { FieldError, ValidationProblem } from '../problem-details';

/** Every list route pages the same way (docs/communes.md): `limit` (1..500, default 100) and `offset` (default 0). */
export const PAGE_LIMIT = { default: 100, max: 500 } as const;

/** The paging parameters in the OpenAPI document, as pagingOf reads them. */
export function ApiPaging(): MethodDecorator {
  return applyDecorators(
    ApiQuery({
      name: 'limit',
      required: false,
      schema: { type: 'integer', minimum: 1, maximum: PAGE_LIMIT.max, default: PAGE_LIMIT.default },
    }),
    ApiQuery({ name: 'offset', required: false, schema: { type: 'integer', minimum: 0, default: 0 } }),
  );
}

export interface Page<T> {
  readonly items: T[];
  /** The `offset` of the next page; null on the last one. */
  readonly next: number | null;
  /** How many items match, over every page. */
  readonly total: number;
}

export interface Paging {
  readonly limit: number;
  readonly offset: number;
}

/** Takes `limit` and `offset` out of the query (a 400 naming the field when malformed); the rest is left for the route's filters. */
export function pagingOf(query: Record<string, unknown>): { paging: Paging; rest: Record<string, unknown> } {
  const { limit, offset, ...rest } = query;
  const errors: FieldError[] = [];
  const number = (name: string, value: unknown, fallback: number, min: number, max: number): number => {
    if (value === undefined) return fallback;
    if (typeof value !== 'string' || !/^\d{1,9}$/.test(value) || Number(value) < min || Number(value) > max) {
      errors.push({ field: name, message: `${name} must be an integer from ${min} to ${max}` });
      return fallback;
    }
    return Number(value);
  };
  const paging = {
    limit: number('limit', limit, PAGE_LIMIT.default, 1, PAGE_LIMIT.max),
    offset: number('offset', offset, 0, 0, 999_999_999),
  };
  if (errors.length > 0) throw new ValidationProblem(errors);
  return { paging, rest };
}

export function page<T>(all: readonly T[], { limit, offset }: Paging): Page<T> {
  return { items: all.slice(offset, offset + limit), next: offset + limit < all.length ? offset + limit : null, total: all.length };
}
