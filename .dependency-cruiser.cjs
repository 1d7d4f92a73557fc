// The import rules of memwarden, checked by `npm run lint` (dependency-cruiser). docs/architecture.md
// says what each folder is for; these rules keep the direction it describes.
//
// Each folder under src/ sits in a layer and imports only from layers below it, so no two folders
// can import each other in a loop, and the domain never learns how a platform shows it.
const LAYERS = [
  ['format', 'log', 'async'], // text, units, logging, bounded waits: used everywhere
  ['model'], // the plain types every layer shares
  ['config'], // schemas: the configuration as data
  ['store', 'collect'], // SQLite; host, containers and processes -> Snapshot
  ['delivery', 'signals'], // the outbox of notices; shared signal math (trends)
  ['alerts'], // rules, state machine, silences, alert notices
  ['diagnose'], // Snapshot + history -> findings (pure)
  ['remediate'], // runbooks, policy, approval flow, executors, remediation notices
  ['digest'], // the daily digest and its notice
  ['console', 'ops'], // notices as terminal text; /metrics and /healthz
  ['slack'], // Bolt, listeners, notices as Block Kit
  ['cli'], // terminal commands
];

const folders = (layers) => layers.flat().join('|');

const layerRules = LAYERS.slice(0, -1).map((layer, i) => ({
  name: `layer-${layer.join('-')}`,
  comment: `${layer.join(', ')} may import only from the layers below: nothing above, and not the composition root (src/*.ts)`,
  severity: 'error',
  from: { path: `^src/(${layer.join('|')})/` },
  to: { path: `^src/((${folders(LAYERS.slice(i + 1))})/|[^/]+\\.ts$)` },
}));

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'A cycle of runtime imports makes two files one concept in disguise: split the shared part out. (A part may name its composition root\'s types.)',
      severity: 'error',
      from: {},
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
    {
      name: 'model-imports-nothing',
      comment: 'model/ is plain data every layer shares: it depends on no other folder.',
      severity: 'error',
      from: { path: '^src/model/' },
      to: { path: '^src/', pathNot: '^src/model/' },
    },
    {
      name: 'store-only-model',
      comment: 'store/ keeps what the layers above hand it, in the shapes of model/; it knows no domain rule.',
      severity: 'error',
      from: { path: '^src/store/' },
      to: { path: '^src/', pathNot: '^src/(store|model)/' },
    },
    {
      name: 'domain-never-slack',
      comment: 'The domain speaks in notices; only slack/ (and console/) render them.',
      severity: 'error',
      from: { path: '^src/(alerts|diagnose|remediate|digest|signals|delivery)/' },
      to: { path: '^(src/(slack|console|cli)/|node_modules/@slack/)' },
    },
    {
      name: 'dockerode-in-adapters-only',
      comment: 'Only the collector and the executors talk to Docker; the rest takes their results as data.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/(collect|remediate/executors|cli)/|^src/[^/]+\\.ts$' },
      to: { path: '^node_modules/(dockerode|docker-modem)/', dependencyTypesNot: ['type-only'] },
    },
    ...layerRules,
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'], extensions: ['.ts', '.js', '.json'] },
  },
};
