import { HttpException, HttpStatus, ValidationError } from '@nestjs/common';
import { Refusal } from '@lib/domain/shared/refusal';

export interface FieldError {
  field: string;
  message: string;
  /** The check it fails, e.g. class-validator's `isString`, or `noNulCharacter` (http/hostile-input.ts). */
  constraint?: string;
  /** The rule a field's value breaks, when one does (e.g. R-TIME-1 for an impossible date). */
  rule?: string;
}

/** 400 with every invalid field (API.md). */
export class ValidationProblem extends HttpException {
  constructor(readonly errors: FieldError[]) {
    super('The request is invalid', HttpStatus.BAD_REQUEST);
  }
}

/** A business rule refused the command: 422 (409 for a conflict with the current state, 404 for an unknown id). */
export class RefusalException extends HttpException {
  constructor(readonly refusal: Refusal) {
    super(
      refusal.detail,
      refusal.category === 'conflict'
        ? HttpStatus.CONFLICT
        : refusal.category === 'not_found'
          ? HttpStatus.NOT_FOUND
          : HttpStatus.UNPROCESSABLE_ENTITY,
    );
  }
}

/** Flattens class-validator's tree into `annexes[0].effectiveFrom`-style field paths. */
export function fieldErrorsOf(errors: ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((error) => {
    const field = /^\d+$/.test(error.property) ? `${parent}[${error.property}]` : parent ? `${parent}.${error.property}` : error.property;
    const own = Object.entries(error.constraints ?? {}).map(([constraint, message]) => {
      const context: unknown = error.contexts?.[constraint];
      const rule =
        context && typeof context === 'object' && 'rule' in context && typeof context.rule === 'string' ? context.rule : undefined;
      return rule ? { field, message, constraint, rule } : { field, message, constraint };
    });
    return [...own, ...fieldErrorsOf(error.children ?? [], field)];
  });
}
