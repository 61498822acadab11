// ESLint 9 flat config: typescript-eslint for the TypeScript (nodes, sandbox, scripts, tests),
// eslint-plugin-html for the nodes' editor .html files, plain ESLint for the few .js/.cjs/.mjs.
//
// The linter is installed in tools/eslint/ (its own package.json and lockfile), not in the
// package's devDependencies: typescript-eslint needs TypeScript's JavaScript API (TypeScript
// <= 6.0), while this package builds with TypeScript 7, whose npm package no longer has that API.
// Both cannot be `node_modules/typescript` at once, so the plugins are loaded from there.
// `npm run lint` (scripts/build/eslint.sh) installs tools/eslint with `npm ci` when needed.
//
// Rule choice: errors are for real defects (undefined names, unused code, unreachable or dead
// branches, misused language features); matters of taste are warnings or off; no formatting rules.

import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const toolRequire = createRequire(new URL('./tools/eslint/package.json', import.meta.url));
async function load(name) {
  let resolved;
  try {
    resolved = toolRequire.resolve(name);
  } catch {
    throw new Error(`${name} is not installed in tools/eslint: run \`npm run lint\` (or \`npm ci --prefix tools/eslint\`)`);
  }
  const mod = await import(pathToFileURL(resolved).href);
  return mod.default ?? mod;
}

const js = await load('@eslint/js');
const tseslint = await load('typescript-eslint');
const html = await load('eslint-plugin-html');
const globals = await load('globals');
const { defineConfig } = await import(pathToFileURL(toolRequire.resolve('eslint/config')).href);

const TS_FILES = ['nodes/**/*.ts', 'sandbox/**/*.ts', 'scripts/**/*.ts', 'test/**/*.ts'];
// Type-aware rules (promises not awaited or misused) take ~20 s instead of ~5 s: opt in with
// ESLINT_TYPED=1 (e.g. before a release). The default run parses without type information.
const TYPED = process.env.ESLINT_TYPED === '1';

/** Rules that catch defects in any JavaScript or TypeScript here. */
const commonRules = {
  'no-empty': ['error', { allowEmptyCatch: true }],
  'no-unused-expressions': 'off', // the TS variant below / plain one for JS
  'no-constant-binary-expression': 'error',
  'no-self-compare': 'error',
  // Usually a forgotten backtick, but Node-RED's own `${ENV_VAR}` syntax is legitimate here.
  'no-template-curly-in-string': 'warn',
  'no-unreachable-loop': 'error',
  // `new Promise((resolve) => setTimeout(resolve, ms))` is the idiom here: not a defect.
  'no-promise-executor-return': 'off',
  'no-async-promise-executor': 'error',
  'no-new-wrappers': 'error',
  'no-throw-literal': 'error',
  'no-useless-catch': 'error',
  'prefer-const': 'warn',
  eqeqeq: ['error', 'always', { null: 'ignore' }],
};

/** Editor code (resources/ and the <script> blocks of the nodes' .html), run in the browser. */
const editorRules = {
  ...commonRules,
  'no-undef': 'error',
  // Node-RED calls editor callbacks with a fixed signature (validate(v, opt), oneditsave…):
  // unused trailing parameters are not defects. Unused variables and functions are.
  'no-unused-vars': ['error', { args: 'none', caughtErrors: 'none', varsIgnorePattern: '^_' }],
  'no-unused-expressions': 'error',
  // The editor code is ES5-style by choice; `var` is fine there.
  'no-var': 'off',
  'prefer-const': 'off',
};

export default defineConfig(
  {
    ignores: [
      '**/node_modules/',
      'dist/',
      '.compat/',
      '.artifacts/',
      '.demo/',
      'tools/eslint/',
      '**/*.d.ts',
    ],
  },

  // ---- TypeScript: nodes (runtime), sandbox, scripts, tests ----
  {
    files: TS_FILES,
    extends: [js.configs.recommended, ...tseslint.configs.recommended],
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: 'module',
      globals: { ...globals.node },
    },
    rules: {
      ...commonRules,
      // tsc (noUnusedLocals/noUnusedParameters) checks these too; keep the same convention.
      '@typescript-eslint/no-unused-vars': ['error', {
        args: 'after-used', argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true,
      }],
      '@typescript-eslint/no-unused-expressions': ['error', { allowShortCircuit: true, allowTernary: true }],
      // Taste, not defects.
      '@typescript-eslint/no-explicit-any': 'warn',
      '@typescript-eslint/no-empty-function': 'off',
      // `const node = this` in a Node-RED node constructor is the documented pattern.
      '@typescript-eslint/no-this-alias': ['error', { allowDestructuring: true, allowedNames: ['node', 'self'] }],
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/ban-ts-comment': ['error', { 'ts-expect-error': 'allow-with-description', 'ts-ignore': true, 'ts-nocheck': true }],
      // The project emits CommonJS; `require()` is fine where a JS module is loaded on purpose
      // (Node-RED core nodes in tests, the runtime in scripts), but should stay visible.
      '@typescript-eslint/no-require-imports': 'warn',
    },
  },
  ...(TYPED
    ? [{
      files: TS_FILES,
      languageOptions: { parserOptions: { project: ['./tsconfig.test.json'], tsconfigRootDir: import.meta.dirname } },
      rules: {
        '@typescript-eslint/no-floating-promises': 'error',
        '@typescript-eslint/no-misused-promises': 'error',
        '@typescript-eslint/await-thenable': 'error',
      },
    }]
    : []),
  {
    files: ['test/**/*.ts'],
    languageOptions: { globals: { ...globals.mocha } },
    rules: {
      // Hostile-input tests build odd values on purpose (boxed strings, holes in arrays).
      'no-new-wrappers': 'off',
      'no-sparse-arrays': 'off',
    },
  },

  // ---- Plain JavaScript in the repo (build script, config files, mocha configs) ----
  {
    files: ['**/*.js', '**/*.cjs'],
    extends: [js.configs.recommended],
    languageOptions: { ecmaVersion: 2022, sourceType: 'commonjs', globals: { ...globals.node } },
    rules: { ...commonRules, 'no-unused-expressions': 'error' },
  },
  {
    files: ['**/*.mjs'],
    extends: [js.configs.recommended],
    languageOptions: { ecmaVersion: 2022, sourceType: 'module', globals: { ...globals.node } },
    rules: { ...commonRules, 'no-unused-expressions': 'error' },
  },

  // ---- resources/: served to the editor by Node-RED (browser scripts, ES5 style); the settings
  // table is also required by the runtime, hence `module` ----
  {
    files: ['resources/**/*.js'],
    extends: [js.configs.recommended],
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: 'script',
      globals: { ...globals.browser, RED: 'readonly', $: 'readonly', jQuery: 'readonly', module: 'readonly' },
    },
    rules: editorRules,
  },

  // ---- The nodes' editor files: the <script type="text/javascript"> blocks run in the browser ----
  {
    files: ['nodes/**/*.html'],
    plugins: { html },
    extends: [js.configs.recommended],
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: 'script',
      globals: { ...globals.browser, RED: 'readonly', $: 'readonly', jQuery: 'readonly' },
    },
    rules: editorRules,
  },
);
