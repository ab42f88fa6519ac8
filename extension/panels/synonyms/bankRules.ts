// The synonym-bank rules shared with the engine's loader (schemas/synonym-bank.rules.json, read by
// engine/wsss_engine/pole/bank_rules.py too): one verdict, message and hint per rule, so the editor flags as an
// error exactly what a run rejects (issue 13, "One set of rules"). The drift test runs both sides on the
// examples the rules file carries. No `vscode` import.
import rulesFile from '../../../schemas/synonym-bank.rules.json';

export type BankRuleId = 'bom' | 'emptyWordList' | 'blankWord' | 'duplicateWord' | 'caseDuplicate' | 'paddedWord';

export interface BankRule {
  severity: 'error' | 'warning';
  message: string;
  hint: string;
  example: { bom?: boolean; bank: Record<string, string[]> };
}

export const BANK_RULES = rulesFile.rules as Record<BankRuleId, BankRule>;

/** Equal keys = the same word (the rules file's "wordKey"): lower-cased, whitespace runs collapsed, trimmed. */
export function wordKey(word: string): string {
  return word.toLowerCase().split(/\s+/).filter(Boolean).join(' ');
}

/** A rule broken at `index` of a class's word list (index -1: the whole list; null class: the whole file). */
export interface RuleFinding {
  rule: BankRuleId;
  severity: BankRule['severity'];
  message: string;
  hint: string;
  index: number;
}

export function ruleFinding(rule: BankRuleId, index: number, cls = '', word = '', other = ''): RuleFinding {
  const r = BANK_RULES[rule];
  const message = r.message.replaceAll('{class}', cls).replaceAll('{word}', word).replaceAll('{other}', other);
  return { rule, severity: r.severity, message, hint: r.hint, index };
}

/** The rule findings of one class's words (strings only; other items are the caller's), in list order. */
export function wordRuleFindings(cls: string, words: readonly (string | null)[]): RuleFinding[] {
  if (words.length === 0) return [ruleFinding('emptyWordList', -1, cls)];
  const found: RuleFinding[] = [];
  const seen = new Map<string, string>();
  words.forEach((word, index) => {
    if (word === null) return;
    const key = wordKey(word);
    if (!key) {
      found.push(ruleFinding('blankWord', index, cls));
      return;
    }
    if (word !== word.split(/\s+/).filter(Boolean).join(' ')) found.push(ruleFinding('paddedWord', index, cls, word));
    const first = seen.get(key);
    if (first === undefined) seen.set(key, word);
    else if (first === word) found.push(ruleFinding('duplicateWord', index, cls, word));
    else found.push(ruleFinding('caseDuplicate', index, cls, first, word));
  });
  return found;
}
