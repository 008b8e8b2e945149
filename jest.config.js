/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }] },
  // Integration tests spawn real processes inside namespaces; give them room, but never use a
  // time limit as a performance assertion (benchmarks do that, in bench/).
  testTimeout: 120000,
};
