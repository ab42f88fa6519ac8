// extensionTestsPath of the untrusted-workspace session (workspace trust on, folder never trusted):
// the suites in test/integration/untrusted/.
import * as path from 'node:path';
import { runMochaFiles } from './mochaRunner';

export function run(): Promise<void> {
  return runMochaFiles(path.join(__dirname, 'untrusted'));
}
