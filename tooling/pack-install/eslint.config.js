import config from '@mpmetrics/eslint-config';

// consumer/ is written for the installed tarballs, not this workspace: it is compiled and run by check.mjs
export default [{ ignores: ['consumer/**'] }, ...config];
