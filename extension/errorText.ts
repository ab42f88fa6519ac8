// How an error's message and its hint read together in one line of text (a notification, a tooltip): apart,
// as the engine keeps them (errors.py EngineError(message, hint); docs/ARCHITECTURE.md "Errors"). No `vscode`.

/**
 * An engine error's message and hint as two visibly separate parts (the engine keeps them apart: errors.py
 * EngineError(message, hint)), for notifications, which show one paragraph.
 */
export function withHint(message: string, hint: string | undefined | null): string {
  const m = message.trim().replace(/[.;:]$/, '');
  return hint?.trim() ? `${m}. What to do: ${hint.trim().replace(/\.$/, '')}.` : `${m}.`;
}
