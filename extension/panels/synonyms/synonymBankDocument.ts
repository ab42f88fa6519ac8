// A synonym bank (METHOD §2.1) read from and edited in its JSON text, never re-serialised:
// every edit is a jsonc-parser `modify` on the current text, so comments-free JSON keeps its
// indentation, key order and line endings, and the host turns the result into one TextEdit
// (undo, save, git and diff keep working). No `vscode` import: the same code runs in tests.
import {
  applyEdits,
  findNodeAtLocation,
  modify,
  parseTree,
  printParseErrorCode,
  type FormattingOptions,
  type Node as JsonNode,
  type ParseError,
} from 'jsonc-parser';
import type { SynonymEdit } from '../../../protocol/webview/synonyms';

/** A replacement of text[offset, offset+length) by `text` (the shape of a vscode TextEdit, in offsets). */
export interface OffsetEdit {
  offset: number;
  length: number;
  text: string;
}

/** One class of the bank as the editor shows it; words[0] is the ground-truth name (METHOD §2.1). */
export interface BankClass {
  name: string;
  words: string[];
  /** false when the value is not an array of strings; the class is then shown read-only. */
  editable: boolean;
}

/** The bank as far as the text could be parsed; `classes` is empty when the JSON is invalid. */
export interface ParsedBank {
  text: string;
  syntaxErrors: { offset: number; length: number; message: string }[];
  rootIsObject: boolean;
  classes: BankClass[];
  tree: JsonNode | undefined;
}

/** The edits a user can make from the panel; indices are positions in the class's word list. */
export type BankEdit = SynonymEdit;

/** Keys starting with "$" ("$schema", "$comment") are metadata, not classes. */
export function isMetadataKey(key: string): boolean {
  return key.startsWith('$');
}

export function parseBank(text: string): ParsedBank {
  const errors: ParseError[] = [];
  const tree = parseTree(text, errors, { disallowComments: true, allowTrailingComma: false });
  const syntaxErrors = errors.map((e) => ({
    offset: e.offset,
    length: Math.max(1, e.length),
    message: describeParseError(printParseErrorCode(e.error)),
  }));
  const rootIsObject = tree?.type === 'object';
  const classes: BankClass[] = [];
  if (syntaxErrors.length === 0 && tree && rootIsObject) {
    for (const property of tree.children ?? []) {
      const [keyNode, valueNode] = property.children ?? [];
      if (!keyNode || typeof keyNode.value !== 'string' || isMetadataKey(keyNode.value)) continue;
      const items = valueNode?.type === 'array' ? (valueNode.children ?? []) : [];
      const editable = valueNode?.type === 'array' && items.every((n) => n.type === 'string');
      classes.push({
        name: keyNode.value,
        words: editable ? items.map((n) => String(n.value)) : [],
        editable,
      });
    }
  }
  return { text, syntaxErrors, rootIsObject, classes, tree };
}

function describeParseError(code: string): string {
  // "CommaExpected" -> "comma expected"
  return code.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
}

/** Indentation and line ending as the file already uses them, so inserted lines look like their neighbours. */
export function detectFormatting(text: string): FormattingOptions {
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const indent = /\n([ \t]+)\S/.exec(text)?.[1] ?? '  ';
  const insertSpaces = !indent.startsWith('\t');
  return { insertSpaces, tabSize: insertSpaces ? indent.length : 4, eol };
}

/** The new text after `edit`, or an Error naming what is wrong with the request. */
export function applyBankEdit(text: string, edit: BankEdit): string | Error {
  const out = editText(text, edit);
  // The result must still be a valid bank: a text edit that breaks the JSON is never handed to the editor.
  if (typeof out === 'string' && parseBank(out).syntaxErrors.length > 0) {
    return new Error(`The ${edit.kind} edit would make the JSON invalid; nothing was changed. Edit it as text.`);
  }
  return out;
}

function editText(text: string, edit: BankEdit): string | Error {
  const bank = parseBank(text);
  if (bank.syntaxErrors.length > 0 || !bank.rootIsObject) {
    return new Error('The synonym bank is not a valid JSON object; fix it in the text editor first.');
  }
  const formattingOptions = detectFormatting(text);
  const change = (path: (string | number)[], value: unknown, isArrayInsertion = false): string =>
    applyEdits(text, modify(text, path, value, { formattingOptions, isArrayInsertion }));
  const cls = bank.classes.find((c) => c.name === edit.className);

  if (edit.kind === 'addClass') {
    if (cls) return new Error(`Class "${edit.className}" is already in the bank.`);
    return change([edit.className], edit.words);
  }
  if (!cls) return new Error(`Class "${edit.className}" is not in the bank.`);
  if (edit.kind === 'removeClass') return change([edit.className], undefined);
  if (!cls.editable) return new Error(`Class "${edit.className}" is not a list of words; edit it as text.`);

  const inRange = (i: number, n: number): boolean => Number.isInteger(i) && i >= 0 && i < n;
  switch (edit.kind) {
    case 'addWord': {
      const word = edit.word.trim();
      const problem = checkWord(word, cls.words);
      if (problem) return new Error(problem);
      return change([edit.className, cls.words.length], word, true);
    }
    case 'removeWord':
      if (!inRange(edit.index, cls.words.length)) return new Error(`No word at position ${edit.index}.`);
      return change([edit.className, edit.index], undefined);
    case 'renameWord': {
      if (!inRange(edit.index, cls.words.length)) return new Error(`No word at position ${edit.index}.`);
      const word = edit.word.trim();
      const others = cls.words.filter((_, i) => i !== edit.index);
      const problem = checkWord(word, others);
      if (problem) return new Error(problem);
      return change([edit.className, edit.index], word);
    }
    case 'moveWord': {
      const n = cls.words.length;
      if (!inRange(edit.from, n) || !inRange(edit.to, n)) return new Error('Move outside the word list.');
      if (edit.from === edit.to) return text;
      // Rewrite the string literals in place (a rotation between the two positions): the array keeps its
      // exact layout, one word per line or all on one line.
      const words = [...cls.words];
      const [word] = words.splice(edit.from, 1);
      words.splice(edit.to, 0, word);
      const items = findNodeAtLocation(bank.tree!, [edit.className])?.children ?? [];
      let out = text;
      for (let i = items.length - 1; i >= 0; i--) {
        if (words[i] === cls.words[i]) continue;
        out = out.slice(0, items[i].offset) + JSON.stringify(words[i]) + out.slice(items[i].offset + items[i].length);
      }
      return out;
    }
  }
}

function checkWord(word: string, existing: string[]): string | undefined {
  if (word.length === 0) return 'A word cannot be empty.';
  if (existing.includes(word)) return `"${word}" is already a candidate of this class.`;
  return undefined;
}

/** The smallest single replacement turning `before` into `after` (common prefix and suffix kept). */
export function minimalEdit(before: string, after: string): OffsetEdit | undefined {
  if (before === after) return undefined;
  let start = 0;
  const max = Math.min(before.length, after.length);
  while (start < max && before.charCodeAt(start) === after.charCodeAt(start)) start++;
  let endBefore = before.length;
  let endAfter = after.length;
  while (endBefore > start && endAfter > start && before.charCodeAt(endBefore - 1) === after.charCodeAt(endAfter - 1)) {
    endBefore--;
    endAfter--;
  }
  return { offset: start, length: endBefore - start, text: after.slice(start, endAfter) };
}

/** The key node of a class property (for diagnostics ranges); undefined when absent. */
export function classKeyNode(tree: JsonNode | undefined, className: string): JsonNode | undefined {
  const value = tree ? findNodeAtLocation(tree, [className]) : undefined;
  return value?.parent?.children?.[0];
}
