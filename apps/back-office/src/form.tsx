import { useRef, useState } from 'preact/hooks';
import type { ComponentChildren } from 'preact';
import { type Problem } from './api';

export interface Field {
  name: string;
  label: string;
  type?: 'text' | 'date' | 'number' | 'month';
  required?: boolean;
  value?: string;
  hint?: string;
}

export interface Answer {
  ok: boolean;
  problem?: Problem;
  message?: string;
}

interface Props {
  id: string;
  title: string;
  fields: Field[];
  /** Extra inputs (e.g. the annexes of a signature) rendered inside the form; they read the FormData too. */
  children?: ComponentChildren;
  submitLabel?: string;
  /** The key is the same for a retry of this submission, so a double click or a retry records once. */
  onSubmit: (values: Record<string, string>, form: FormData, idempotencyKey: string) => Promise<Answer>;
}

/** A text field of a FormData (a file input would give a File: none here). */
export function textOf(form: FormData, name: string): string {
  const value = form.get(name);
  return typeof value === 'string' ? value.trim() : '';
}

/** French explanations of the problems the API can give (API.md). */
export function explain(problem: Problem): string {
  if (problem.status === 409 && problem.etag !== undefined)
    return `Cette convention a changé depuis que vous l'avez ouverte (version envoyée ${problem.ifMatch ?? '?'}, version actuelle ${problem.etag}). Rechargez la page pour voir la version actuelle, puis recommencez.`;
  if (problem.rule) return `Refusé par la règle ${problem.rule} : ${problem.detail ?? problem.title ?? ''}`;
  if (problem.status === 400) return 'Certains champs ne sont pas valides : voir les messages sous les champs.';
  if (problem.status === 401) return 'Session expirée ou jeton refusé : reconnectez-vous.';
  if (problem.status === 403) return 'Votre rôle ne permet pas cette action.';
  return `${problem.title ?? 'Erreur'}${problem.detail ? ` : ${problem.detail}` : ''}`;
}

/** A command form: field errors next to their field, a rule refusal as a banner, one submission at a time. */
export function CommandForm({ id, title, fields, children, submitLabel = 'Enregistrer', onSubmit }: Props) {
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const key = useRef<string | null>(null);
  const inFlight = useRef(false);

  async function submit(event: Event) {
    event.preventDefault();
    // A ref, not only the disabled button: two clicks in one frame come before the re-render.
    if (inFlight.current) return;
    inFlight.current = true;
    setBusy(true);
    setProblem(null);
    setDone(null);
    key.current ??= crypto.randomUUID();
    const data = new FormData(event.currentTarget as HTMLFormElement);
    const values: Record<string, string> = {};
    for (const field of fields) {
      const value = textOf(data, field.name);
      if (value !== '') values[field.name] = value;
    }
    try {
      const answer = await onSubmit(values, data, key.current);
      // Settled one way or the other: the next submission is a new one (a changed body would be a 422 with the same key).
      key.current = null;
      if (answer.ok) setDone(answer.message ?? 'Enregistré.');
      else setProblem(answer.problem ?? { title: 'Erreur' });
    } catch (error) {
      // The network failed: the same key is kept, so trying again cannot record twice.
      setProblem({ title: 'Le serveur ne répond pas', detail: String(error) });
    } finally {
      inFlight.current = false;
      setBusy(false);
    }
  }

  const errorOf = (name: string) => problem?.errors?.find((e) => e.field === name);
  const unplaced = problem?.errors?.filter((e) => !fields.some((f) => f.name === e.field)) ?? [];
  return (
    <form id={id} class="command" onSubmit={(event) => void submit(event)} noValidate aria-labelledby={`${id}-title`}>
      <h3 id={`${id}-title`}>{title}</h3>
      {problem && (
        <div class="banner error" role="alert" data-rule={problem.rule ?? ''}>
          <p>{explain(problem)}</p>
          {unplaced.map((e) => (
            <p key={e.field}>
              {e.field} : {e.message}
              {e.rule ? ` (${e.rule})` : ''}
            </p>
          ))}
        </div>
      )}
      {done && (
        <div class="banner ok" role="status">
          {done}
        </div>
      )}
      {fields.map((field) => {
        const error = errorOf(field.name);
        const inputId = `${id}-${field.name}`;
        const described = [error ? `${inputId}-error` : '', field.hint ? `${inputId}-hint` : ''].filter(Boolean).join(' ');
        return (
          <div class="field" key={field.name}>
            <label for={inputId}>
              {field.label}
              {field.required ? ' *' : ''}
            </label>
            <input
              id={inputId}
              name={field.name}
              // Preact types `type` per input kind, not as a union: the kinds of Field are all plain text-like inputs.
              // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion
              type={(field.type ?? 'text') as 'text'}
              defaultValue={field.value}
              required={field.required}
              aria-invalid={error ? 'true' : undefined}
              aria-describedby={described || undefined}
            />
            {field.hint && (
              <small id={`${inputId}-hint`} class="hint">
                {field.hint}
              </small>
            )}
            {error && (
              <small id={`${inputId}-error`} class="field-error">
                {error.message}
                {error.rule ? ` (${error.rule})` : ''}
              </small>
            )}
          </div>
        );
      })}
      {children}
      <button type="submit" disabled={busy} aria-busy={busy ? 'true' : undefined}>
        {busy ? 'Envoi…' : submitLabel}
      </button>
    </form>
  );
}

/** Turns an openapi-fetch answer into the form's answer. */
export function answerOf(result: { error?: unknown; response: Response }, message: string): Answer {
  if (result.response.ok) return { ok: true, message };
  const problem = (result.error && typeof result.error === 'object' ? result.error : { status: result.response.status }) as Problem;
  return { ok: false, problem };
}
