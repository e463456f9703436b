// The "may import" table of docs/architecture.md ("Components"), checked by `npm run deps` (test.sh runs
// it before the tests). One line per folder under src/: the other folders its files may import, type-only
// imports included; `*` is every folder but cli/ and platform/ (which nothing imports). Every component
// may import `logger/` (the platform's own log) and `errors.ts` (the one error type). Tests (`*.test.ts`)
// may wire real collaborators from anywhere below api/. A folder without a line may import nothing of ours: a new
// component gets its line here in the same commit as its row in the table.
const MAY_IMPORT = {
  store: [],
  slugs: [],
  egress: [],
  runtime: ['egress', 'slugs', 'supervise'],
  logger: [],
  supervise: [],
  health: [],
  backup: ['store'],
  logs: ['store', 'egress'],
  releases: ['store', 'slugs', 'logs'],
  git: ['deploy', 'build', 'store'],
  build: ['slugs', 'runtime', 'logs', 'store', 'egress', 'appjson', 'supervise'],
  deploy: ['build', 'releases', 'store'],
  dynos: ['runtime', 'releases', 'slugs', 'logs', 'store'],
  // The swarm runtime: the cluster seam's types (runtime/cluster.ts), dyno sizes, log lines, private
  // ranges, and the R14 lines of the dyno manager's pure metrics (dynos/metrics.ts).
  swarm: ['runtime', 'logs', 'egress', 'supervise', 'slugs', 'dynos/metrics.ts'],
  // The read-only view of dynos (types only) and nothing else of the dyno manager.
  router: ['logs', 'store', 'supervise', 'dynos/routes.ts'],
  addons: ['releases', 'store', 'supervise'],
  accounts: ['store'],
  apps: ['releases', 'dynos', 'addons', 'store'],
  // The dashboard's server side (sessions, sign-in); its browser code (ui/) is a client of the API only.
  dashboard: ['accounts', 'store'],
  'dashboard/ui': [],
  appjson: ['runtime'],
  appsetups: ['appjson', 'addons', 'apps', 'build', 'slugs', 'deploy', 'egress', 'store'],
  pipelines: ['releases', 'store'],
  webhooks: ['egress', 'store'],
  scheduler: ['store'],
  reviewapps: ['appsetups', 'apps', 'deploy', 'pipelines', 'store'],
  api: ['*'],
  cli: [],
};

const escapeRegex = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const rules = Object.entries(MAY_IMPORT).map(([from, allowed]) => {
  const rule = {
    name: `${from}-may-import`,
    comment: `src/${from}/ may import ${allowed.length ? allowed.join(', ') : 'nothing of ours'} (and logger/): docs/architecture.md`,
    severity: 'error',
    from: { path: `^src/${from}/`, pathNot: '\\.test\\.ts$' },
  };
  if (allowed.includes('*')) return { ...rule, to: { path: '^src/(cli|platform)/' } };
  const folders = [from, 'logger', ...allowed.filter((a) => !a.includes('.'))];
  const files = allowed.filter((a) => a.includes('.'));
  return { ...rule, to: { path: '^src/', pathNot: [`^src/(${folders.join('|')})/`, '^src/errors\\.ts$', ...files.map((f) => `^src/${escapeRegex(f)}$`)] } };
});

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    ...rules,
    {
      name: 'folder-in-the-table',
      comment: 'a folder under src/ without a line in MAY_IMPORT (and a row in docs/architecture.md) may import nothing of ours',
      severity: 'error',
      from: { path: '^src/[^/]+/', pathNot: `^src/(${[...Object.keys(MAY_IMPORT), 'platform'].join('|')})/` },
      to: { path: '^src/', pathNot: '^src/logger/' },
    },
    {
      name: 'nothing-imports-api-cli-platform',
      comment: 'api/, cli/ and platform/ are the outermost parts: only the entry (src/main.ts) and platform/ reach them',
      severity: 'error',
      from: { path: '^src/', pathNot: ['^src/(api|cli|platform)/', '^src/main\\.ts$'] },
      to: { path: '^src/(api|cli|platform)/' },
    },
    {
      name: 'no-cycles-between-components',
      comment: 'a cycle between two folders means neither is below the other in the table',
      severity: 'error',
      from: { path: '^src/([^/]+)/' },
      to: { circular: true, path: '^src/', pathNot: '^src/$1/' },
    },
    {
      name: 'resolvable',
      comment: 'every import resolves (a moved file is not left behind)',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'], extensions: ['.ts', '.js', '.mjs', '.cjs', '.json'] },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
