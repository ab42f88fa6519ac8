// extensionTestsPath of the trusted-workspace session: the suites in test/integration/suite/.
import * as path from 'node:path';
import { runMochaFiles } from './mochaRunner';

export function run(): Promise<void> {
  return runMochaFiles(path.join(__dirname, 'suite'));
}
