// Problems in a synonym bank, as offset ranges on the offending key or value, shared by the
// panel (listed above the classes) and the editor's DiagnosticCollection. Nothing is dropped:
// an unknown class or a bad value stays in the file and is only reported. The word-list verdicts (duplicates up
// to case and spaces, blank words, a BOM...) come from the rules shared with the engine (bankRules.ts).
import type { Node as JsonNode } from 'jsonc-parser';
import { ruleFinding, wordRuleFindings, type RuleFinding } from './bankRules';
import { isMetadataKey, type ParsedBank } from './synonymBankDocument';

export type BankProblemSeverity = 'error' | 'warning' | 'info';

/** One problem with its range in the document text (offsets, converted to positions by the host). */
export interface BankProblem {
  offset: number;
  length: number;
  severity: BankProblemSeverity;
  /** stable id for tests and code actions: syntax, notObject, unknownClass, notWordList, ... */
  code: string;
  message: string;
  /** What to do, kept apart from the message (the shared rules give one). */
  hint?: string;
}

/** The class names a bank is checked against, and where they came from (shown in the panel). */
export interface ClassList {
  names: string[];
  source: string;
}

/** `bom`: the file on disk starts with a UTF-8 byte order mark (an editor's text never shows it). */
export function bankProblems(bank: ParsedBank, classList: ClassList, options: { bom?: boolean } = {}): BankProblem[] {
  const bom = options.bom ? [ruleProblem(undefined, ruleFinding('bom', -1))] : [];
  return [...bom, ...documentProblems(bank, classList)];
}

function documentProblems(bank: ParsedBank, classList: ClassList): BankProblem[] {
  if (bank.syntaxErrors.length > 0) {
    return bank.syntaxErrors.map((e) => ({
      ...e,
      severity: 'error' as const,
      code: 'syntax',
      message: `Invalid JSON: ${e.message}.`,
    }));
  }
  const root = bank.tree;
  if (!root || !bank.rootIsObject) {
    return [
      problem(
        root,
        'error',
        'notObject',
        'A synonym bank is a JSON object: {"class": ["ground-truth name", "synonym", ...]}.',
        bank.text.length,
      ),
    ];
  }
  const problems: BankProblem[] = [];
  const known = new Set(classList.names);
  const seen = new Set<string>();
  for (const property of root.children ?? []) {
    const [keyNode, valueNode] = property.children ?? [];
    const name = String(keyNode?.value ?? '');
    if (!keyNode || isMetadataKey(name)) continue;
    if (seen.has(name)) {
      problems.push(
        problem(keyNode, 'error', 'duplicateClass', `Class "${name}" appears twice; only the last one counts in JSON.`),
      );
    }
    seen.add(name);
    if (!known.has(name)) {
      problems.push(
        problem(
          keyNode,
          'error',
          'unknownClass',
          `Unknown class "${name}": not in ${classList.source}. Known classes: ${classList.names.join(', ')}.`,
        ),
      );
    }
    problems.push(...wordListProblems(name, valueNode));
  }
  const missing = classList.names.filter((n) => !seen.has(n));
  if (missing.length > 0) {
    const first = root.children?.[0]?.children?.[0] ?? root;
    problems.push(
      problem(
        first,
        'info',
        'missingClass',
        `No candidate words for ${missing.join(', ')}: prompt selection uses only the ground-truth name for ${missing.length === 1 ? 'it' : 'them'}.`,
      ),
    );
  }
  return problems;
}

function wordListProblems(className: string, valueNode: JsonNode | undefined): BankProblem[] {
  if (!valueNode || valueNode.type !== 'array') {
    return [
      problem(
        valueNode,
        'error',
        'notWordList',
        `Class "${className}" must map to a list of words, ground-truth name first.`,
      ),
    ];
  }
  const items = valueNode.children ?? [];
  const problems: BankProblem[] = items
    .filter((item) => item.type !== 'string')
    .map((item) => problem(item, 'error', 'notWord', `Every candidate of "${className}" must be a string.`));
  const words = items.map((item) => (item.type === 'string' ? String(item.value) : null));
  for (const finding of wordRuleFindings(className, words)) {
    problems.push(ruleProblem(finding.index < 0 ? valueNode : items[finding.index], finding));
  }
  return problems.sort((a, b) => a.offset - b.offset);
}

/** A shared rule's finding as a problem: its verdict, its rule id as the code, the message and hint apart. */
function ruleProblem(node: JsonNode | undefined, finding: RuleFinding): BankProblem {
  const message = finding.message.charAt(0).toUpperCase() + finding.message.slice(1) + '.';
  return { ...problem(node, finding.severity, finding.rule, message), hint: finding.hint };
}

function problem(
  node: JsonNode | undefined,
  severity: BankProblemSeverity,
  code: string,
  message: string,
  fallbackLength = 1,
): BankProblem {
  return { offset: node?.offset ?? 0, length: node?.length ?? fallbackLength, severity, code, message };
}
