// jest's defaults, plus: only the CommonJS suite in jest/, and, with TEST_AGAINST=prom-client, the app's metric
// classes from prom-client itself, which proves the suite is written as prom-client users write theirs.
module.exports = {
  roots: ['<rootDir>/jest'],
  ...(process.env.TEST_AGAINST === 'prom-client' ? { moduleNameMapper: { '^@mpmetrics/core$': 'prom-client' } } : {}),
};
