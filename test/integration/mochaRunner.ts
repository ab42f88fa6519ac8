// Runs compiled mocha test files inside the VS Code extension host (the `extensionTestsPath` contract:
// a module exporting run(): Promise<void>; a rejection makes the workbench exit with a non-zero code).
// Mocha's spec report also goes, line by line, to $WSSS_TEST_REPORT, which the runner (runTests.ts) prints.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { format } from 'node:util';
import Mocha from 'mocha';

/** Mocha's reporters print through Mocha.reporters.Base.consoleLog (console.log, which the extension host
 *  forwards to the workbench); this also appends each line to `file`. Returns the undo. */
function teeReporterTo(file: string | undefined): () => void {
  const base = Mocha.reporters.Base as unknown as { consoleLog: (...args: unknown[]) => void };
  const saved = base.consoleLog;
  if (!file) return () => undefined;
  base.consoleLog = (...args: unknown[]) => {
    fs.appendFileSync(file, `${format(...args)}\n`);
    saved(...args);
  };
  return () => {
    base.consoleLog = saved;
  };
}

/** Runs every `*.test.js` in `dir` (compiled from test/integration/<suite>/). */
export function runMochaFiles(dir: string, timeoutMs = 600_000): Promise<void> {
  const grep = process.env.WSSS_TEST_GREP || undefined; // e.g. WSSS_TEST_GREP=experiment: one test while editing
  const mocha = new Mocha({ ui: 'bdd', reporter: 'spec', color: false, timeout: timeoutMs, grep });
  const files = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.test.js'))
    .sort();
  if (files.length === 0) return Promise.reject(new Error(`no *.test.js files in ${dir}`));
  for (const f of files) mocha.addFile(path.join(dir, f));
  const restore = teeReporterTo(process.env.WSSS_TEST_REPORT);
  return new Promise<void>((resolve, reject) => {
    try {
      mocha.run((failures) => {
        restore();
        if (failures > 0) reject(new Error(`${failures} integration test(s) failed`));
        else resolve();
      });
    } catch (err) {
      restore();
      reject(err);
    }
  });
}
