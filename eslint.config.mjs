// ESLint with typescript-eslint's recommended type-checked rules, run by `npm test` (npm run lint).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'coverage/**', 'data/**', 'node_modules/**', '**/*.js', '**/*.cjs', '**/*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // `_` names what a destructuring leaves out on purpose (`const { a: _, ...rest } = x`).
      // An async implementation of an async contract (a store port, a command runner) need not await.
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
    },
  },
  {
    // Tests read HTTP answers, whose bodies supertest and fetch type as `any`: asserting on them is the
    // point, and a cast before each `expect` would only hide what is checked. Source code has no such
    // exception.
    files: ['test/**/*.ts', '**/*.spec.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      // …and describe those answers in messages and keys, whatever their type.
      '@typescript-eslint/restrict-template-expressions': 'off',
      // …and poke at JSON documents (an event to break against its schema) by any path.
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
);
