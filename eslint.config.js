// ESLint for the whole tree: typescript-eslint's recommended rules, promises
// that nobody awaits (no-floating-promises), and the layers of src/: each
// folder imports only the folders below it (README, Layout).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** The folders each layer must not import; type-only imports are allowed where a layer only describes another's values. */
const LAYERS = {
  wire: {
    deny: ['protocol', 'modules', 'guestlib', 'agent', 'client', 'topology', 'lab', 'slim', 'cli'],
    why: 'wire is XML-RPC over HTTP and imports nothing of ROC',
  },
  protocol: {
    deny: ['modules', 'guestlib', 'agent', 'client', 'topology', 'lab', 'slim', 'cli'],
    why: 'the protocol stands on wire alone',
  },
  modules: {
    deny: ['protocol', 'guestlib', 'agent', 'client', 'topology', 'lab', 'slim', 'cli'],
    why: 'module loading stands on wire (for its error root) alone',
  },
  guestlib: {
    deny: ['modules', 'agent', 'client', 'topology', 'lab', 'slim', 'cli'],
    why: 'the guest library runs in the agent, on wire and protocol only',
  },
  agent: {
    deny: ['client', 'topology', 'lab', 'slim', 'cli'],
    why: 'the agent is guest code: it never imports the host',
  },
  client: {
    deny: ['modules', 'guestlib', 'agent', 'topology', 'lab', 'slim', 'cli'],
    why: 'the client stands on protocol and wire',
  },
  topology: {
    deny: ['modules', 'agent', 'lab', 'slim', 'cli'],
    typesOnly: ['guestlib'],
    why: 'the topology stands on the client',
  },
  lab: { deny: ['modules', 'guestlib', 'agent', 'slim', 'cli'], why: 'the lab stands on the topology' },
  slim: { deny: ['guestlib', 'agent', 'lab', 'cli'], why: 'the SLIM server stands on the topology and module loading' },
  history: {
    deny: ['protocol', 'modules', 'guestlib', 'agent', 'client', 'topology', 'lab', 'slim', 'cli'],
    why: 'histories and checkers are pure: they stand on wire (for the error root) alone',
  },
};

const layerRules = Object.entries(LAYERS).map(([layer, { deny, typesOnly = [], why }]) => ({
  files: [`src/${layer}/**/*.ts`],
  rules: {
    '@typescript-eslint/no-restricted-imports': [
      'error',
      {
        patterns: [
          ...deny.map((d) => ({
            group: [`../${d}`, `../${d}/*`],
            message: `${why} (src/${layer} must not import src/${d})`,
          })),
          ...typesOnly.map((d) => ({
            group: [`../${d}`, `../${d}/*`],
            allowTypeImports: true,
            message: `${why}: src/${d} only as types (import type)`,
          })),
        ],
      },
    ],
  },
}));

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      'bench-results/**',
      'reports/**',
      '**/.roc/**',
      'test/vagrant/nspawn/**',
      'test/fixtures/bad/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
      globals: {
        process: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
        URL: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        setImmediate: 'readonly',
        globalThis: 'readonly',
        AbortController: 'readonly',
        FinalizationRegistry: 'readonly',
        WeakRef: 'readonly',
        TextDecoder: 'readonly',
        TextEncoder: 'readonly',
        structuredClone: 'readonly',
        queueMicrotask: 'readonly',
        fetch: 'readonly',
        __filename: 'readonly',
        __dirname: 'readonly',
        require: 'readonly',
        module: 'writable',
      },
    },
    rules: {
      // node:test's test() and describe() return promises the runner itself awaits.
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            {
              from: 'package',
              package: 'node:test',
              name: ['test', 'describe', 'it', 'suite', 'before', 'after', 'beforeEach', 'afterEach'],
            },
          ],
        },
      ],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
      '@typescript-eslint/no-explicit-any': 'off',
      // A closure may name a variable assigned once, later (an agent's handlers name the agent they start).
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
    },
  },
  { files: ['**/*.js', '**/*.mjs', '**/*.cjs'], ...tseslint.configs.disableTypeChecked },
  { files: ['**/*.js', '**/*.mjs', '**/*.cjs'], rules: { '@typescript-eslint/no-require-imports': 'off' } },
  ...layerRules,
);
