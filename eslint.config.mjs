// ESLint (flat config) keeps the walls between the code's layers (docs/ARCHITECTURE.md, "Walls"):
//   webview/ (browser) never imports extension/ (host), and extension/ never imports webview/;
//   protocol/ holds types and the constants that name protocol facts, no functions or classes, and
//   imports only protocol/; common/ (runtime both sides run) imports only protocol/ and common/;
//   neither uses Node or VS Code; the host files unit-tested in plain Node (NO_VSCODE) never import `vscode`.
// TypeScript 7 (tsgo) has no JavaScript API for typescript-eslint, so Babel's TypeScript preset parses:
// these rules need the import graph and syntax only (types are tsc's job: npm run typecheck).
import babelParser from '@babel/eslint-parser';

const up = (folder) => `^(\\./)?(\\.\\./)+${folder}/`; // a relative import that climbs to the top-level <folder>/
const NODE = {
  regex: '^(node:|(fs|path|os|child_process|crypto|url|util|stream|events)(/|$))',
  message: 'Node modules are for the extension host only.',
};
const VSCODE = {
  name: 'vscode',
  message: 'This file runs in plain Node (unit tests) or the browser: keep the VS Code API out (see its header).',
};
const restrict = (paths, patterns) => ['error', { paths, patterns }];

/** Host files that must run in plain Node (their headers say "No `vscode` import"). */
const NO_VSCODE = [
  'extension/engine/{engineErrors,engineProcess,engineSession,interpreter,processTree,stderrTail}.ts',
  'extension/dataset/**/*.ts',
  'extension/panels/cam/{camPanel,camRuns,camFile,npyFile,pickleReader}.ts',
  'extension/panels/dataset/{datasetPanel,vocDataset,maskImage,thumbnailCache,rootSuggestions}.ts',
  'extension/panels/report/{reportSession,runReports}.ts',
  'extension/panels/synonyms/{classList,officialSelection,selectionResults,synonymBankDocument,synonymBankSession}.ts',
  'extension/panels/{panelRpc,panelHtml,photoImage}.ts',
  'extension/preview/{camModel,camRender,hoverContent,previewRun}.ts',
  'extension/panels/campreview/camPreviewHandler.ts',
  'extension/runs/{metricsFile,runFolder}.ts',
];

export default [
  {
    ignores: [
      'dist/**',
      'out/**',
      'node_modules/**',
      '.code-server/**',
      '.venv/**',
      'engine/**',
      'test-results/**',
      'media/**',
    ],
  },
  {
    files: ['**/*.ts'],
    languageOptions: {
      parser: babelParser,
      parserOptions: {
        requireConfigFile: false,
        babelOptions: {
          babelrc: false,
          configFile: false,
          presets: [['@babel/preset-typescript', { onlyRemoveTypeImports: true }]],
        },
      },
    },
  },
  {
    files: ['extension/**/*.ts'],
    rules: {
      'no-restricted-imports': restrict(
        [],
        [
          {
            regex: up('webview'),
            message: 'The host must not import browser code: put what both sides need in common/.',
          },
        ],
      ),
    },
  },
  {
    files: NO_VSCODE,
    rules: {
      'no-restricted-imports': restrict(
        [VSCODE],
        [
          {
            regex: up('webview'),
            message: 'The host must not import browser code: put what both sides need in common/.',
          },
        ],
      ),
    },
  },
  {
    files: ['webview/**/*.ts'],
    rules: {
      'no-restricted-imports': restrict(
        [VSCODE],
        [
          {
            regex: up('extension'),
            message:
              'Browser code must not import the extension host: talk through protocol/webview/, share through common/.',
          },
          NODE,
        ],
      ),
    },
  },
  {
    files: ['common/**/*.ts'],
    rules: {
      'no-restricted-imports': restrict(
        [VSCODE],
        [
          {
            regex: up('(extension|webview|test)'),
            message: 'common/ is shared by both sides: it imports only protocol/ and common/.',
          },
          NODE,
        ],
      ),
    },
  },
  {
    files: ['protocol/**/*.ts'],
    rules: {
      'no-restricted-imports': restrict(
        [VSCODE],
        [
          {
            regex: up('(extension|webview|common|test)'),
            message: 'protocol/ is types only: it imports only protocol/.',
          },
          NODE,
        ],
      ),
      'no-restricted-syntax': [
        'error',
        {
          selector: 'ExportNamedDeclaration > FunctionDeclaration, ClassDeclaration',
          message: 'protocol/ holds types and constants; runtime code goes in common/.',
        },
      ],
    },
  },
];
