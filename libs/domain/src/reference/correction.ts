import { Refusal, refusal } from '../shared/refusal';

/** R-TIME-2: a recorded fact is corrected by a new one that says why; the reason is required. */
export function correctionReason(reason: string | undefined, facts: Record<string, unknown>): string | Refusal {
  if (reason?.trim()) return reason.trim();
  return refusal('R-TIME-2', 'CorrectionReasonMissing', 'This fact is already recorded: a correction says why', facts);
}
