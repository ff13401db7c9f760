export { default } from '@mpmetrics/eslint-config';
