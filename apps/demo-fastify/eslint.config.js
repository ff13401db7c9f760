import config from '@mpmetrics/eslint-config';

export default [
  ...config,
  // PM2 reads its ecosystem file with require(): CommonJS is the point there.
  { files: ['**/*.cjs'], languageOptions: { sourceType: 'commonjs' }, rules: { '@typescript-eslint/no-require-imports': 'off' } },
];
