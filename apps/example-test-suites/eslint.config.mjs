import config from '@mpmetrics/eslint-config';

// jest/ is CommonJS with jest's globals, as a jest suite that needs no transform is written.
const jestGlobals = Object.fromEntries(['beforeAll', 'beforeEach', 'expect', 'test'].map((name) => [name, 'readonly']));

export default [
  ...config,
  { files: ['jest/**/*.js', 'jest.config.js'], languageOptions: { sourceType: 'commonjs' }, rules: { '@typescript-eslint/no-require-imports': 'off' } },
  { files: ['jest/**/*.test.js'], languageOptions: { globals: jestGlobals } },
];
