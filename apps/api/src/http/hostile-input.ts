import { ArgumentMetadata, Injectable, PipeTransform } from '@nestjs/common';
import { FieldError, ValidationProblem } from '../problem-details';

/**
 * Input no field of this API may carry, whatever its DTO says, checked once for every body (json-body.ts),
 * query parameter and path parameter (HostileParameterPipe) before anything reads it:
 * - text PostgreSQL cannot store: U+0000 (`text` and `jsonb` refuse it) and unpaired UTF-16 surrogates
 *   (not encodable as UTF-8);
 * - nesting deeper than MAX_DEPTH (class-transformer recurses once per level and overflows the stack
 *   near a few thousand; no body of API.md goes beyond 3);
 * - the keys `__proto__`, `constructor`, `prototype`, which the whitelist of unknown fields does not see
 *   (they name members every object already has).
 */
export const MAX_DEPTH = 32;
const RESERVED_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
/** A high surrogate not followed by a low one, or a low one not preceded by a high one. (String#isWellFormed is ES2024; the lib here is ES2023.) */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function textError(text: string, field: string, what: string): FieldError | undefined {
  if (text.includes('\u0000'))
    return { field, message: `${what} must not contain the NUL character (U+0000)`, constraint: 'noNulCharacter' };
  if (LONE_SURROGATE.test(text))
    return { field, message: `${what} must be well-formed Unicode (it contains an unpaired surrogate)`, constraint: 'wellFormedUnicode' };
  return undefined;
}

/** `annexes[0].offerId`, as fieldErrorsOf names class-validator's fields; a key that is itself bad is quoted, escaped. */
function childPath(parent: string, key: string | number, keyIsBad: boolean): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  if (keyIsBad) return `${parent}[${JSON.stringify(key)}]`;
  return parent ? `${parent}.${key}` : key;
}

/** Every violation in `value` (parsed JSON or a parsed query), each with its field path; `path` names `value` itself. */
export function hostileInputErrors(value: unknown, path = ''): FieldError[] {
  const errors: FieldError[] = [];
  const visit = (node: unknown, field: string, depth: number): void => {
    if (typeof node === 'string') {
      const error = textError(node, field || 'body', 'the value');
      if (error) errors.push(error);
      return;
    }
    if (typeof node !== 'object' || node === null) return;
    if (depth > MAX_DEPTH) {
      errors.push({ field: field || 'body', message: `is nested more than ${MAX_DEPTH} levels deep`, constraint: 'maxDepth' });
      return;
    }
    if (Array.isArray(node)) {
      node.forEach((item, index) => visit(item, childPath(field, index, false), depth + 1));
      return;
    }
    for (const key of Object.keys(node)) {
      const keyError = textError(key, '', 'a field name');
      const child = childPath(field, key, keyError !== undefined);
      if (keyError) errors.push({ ...keyError, field: child });
      else if (RESERVED_KEYS.has(key))
        errors.push({ field: child, message: `${key} is not a field of this API`, constraint: 'reservedKey' });
      else visit((node as Record<string, unknown>)[key], child, depth + 1);
    }
  };
  visit(value, path, 1);
  return errors;
}

export function assertNoHostileInput(value: unknown, path = ''): void {
  const errors = hostileInputErrors(value, path);
  if (errors.length > 0) throw new ValidationProblem(errors);
}

/**
 * The same rule for query and path parameters, on every route: a global pipe sees each one with its
 * name once Express has routed (a middleware would not know which segment is which parameter).
 * Bodies are checked earlier, when parsed, so that no interceptor or pipe walks a hostile one first.
 */
@Injectable()
export class HostileParameterPipe implements PipeTransform {
  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    if (metadata.type === 'query' || metadata.type === 'param') assertNoHostileInput(value, metadata.data ?? '');
    return value;
  }
}
