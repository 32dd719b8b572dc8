/**
 * The layer rules (README, "Architecture"), checked by `npm test` (npm run lint:deps). A rule's comment
 * says why it holds.
 */
module.exports = {
  forbidden: [
    {
      name: 'domain-is-pure',
      comment: 'The domain is deciders and calculators: no framework, no I/O, no other layer; money through decimal.js.',
      severity: 'error',
      from: { path: '^libs/domain/', pathNot: '\\.spec\\.ts$' },
      to: { pathNot: ['^libs/domain/', 'node_modules/decimal\\.js/'] },
    },
    {
      name: 'domain-specs-are-pure-too',
      comment: 'Domain tests may use fast-check besides the domain itself.',
      severity: 'error',
      from: { path: '^libs/domain/.*\\.spec\\.ts$' },
      to: { pathNot: ['^libs/domain/', 'node_modules/(decimal\\.js|fast-check)/'] },
    },
    {
      name: 'application-does-not-know-read-models',
      comment: 'Command handlers decide on streams; read models are projections of what they record.',
      severity: 'error',
      from: { path: '^libs/application/' },
      to: { path: '^libs/projections/' },
    },
    {
      name: 'read-models-do-not-know-commands',
      comment: 'Projections fold events; they never send commands.',
      severity: 'error',
      from: { path: '^libs/projections/' },
      to: { path: '^libs/application/' },
    },
    {
      name: 'libs-do-not-know-apps',
      comment: 'Dependencies point inward: apps use libs, never the reverse.',
      severity: 'error',
      from: { path: '^libs/' },
      to: { path: '^apps/' },
    },
    {
      name: 'cli-is-an-http-client',
      comment: 'The CLI talks to the API over HTTP; what both need of the contract is in libs/contract.',
      severity: 'error',
      from: { path: '^apps/cli/' },
      to: { path: '^apps/api/' },
    },
    {
      name: 'no-circular',
      comment: 'A cycle makes two modules one without saying so.',
      severity: 'error',
      from: {},
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
    {
      name: 'no-orphans',
      comment: 'A module nothing imports is dead code, unless it is an entry point, a test or a config.',
      severity: 'error',
      from: {
        orphan: true,
        pathNot: [
          '\\.spec\\.ts$',
          '\\.d\\.ts$',
          '(^|/)main\\.ts$',
          '^bench/',
          '^scripts/',
          '^examples/',
          '^test/support/.*-child\\.ts$',
          // Loaded by jest.config.js (setupFilesAfterEnv), not imported.
          '^test/support/store-timeout\\.ts$',
          '\\.(c|m)?js$',
        ],
      },
      to: {},
    },
    {
      name: 'not-to-unresolvable',
      comment: 'An import that resolves to nothing is a missing dependency.',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|coverage|data)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['main', 'types', 'typings'],
    },
  },
};
