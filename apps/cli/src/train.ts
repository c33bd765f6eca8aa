import 'reflect-metadata';
import { stringFlag } from './commands/command.js';
import { trainAdapter, trainingFlags } from './adapter-commands.js';
import { DEFAULT_GALLERY_MODEL, DEFAULT_QUERY_MODEL, embedLfwWithBothModels } from './lfw-cross.js';
import { percent, runScript, ScriptCommand } from './script-runner.js';

const adapterCommand: ScriptCommand = {
  name: 'adapter',
  summary: 'Learn a map from the embedding space of model --from (new) into that of --to (old), on LFW, one map per held-out fold',
  usage:
    'adapter [--from MODEL] [--to MODEL] [--method procrustes|least-squares|triplet] [--seed N] [--epochs N] [--margin A] [--hidden N] ' +
    '[--folds all|none|K[,K…]] ' +
    '[--json] [--lfw DIR] [--cache DIR | --no-cache]',
  flags: ['from', 'to', 'method', 'seed', 'epochs', 'margin', 'hidden', 'folds', 'json', 'lfw', 'cache', 'no-cache'],
  async run(args, config) {
    const flags = trainingFlags(args);
    const data = await embedLfwWithBothModels(args, config, stringFlag(args, 'from', DEFAULT_QUERY_MODEL), stringFlag(args, 'to', DEFAULT_GALLERY_MODEL));
    const { adapter, path } = await trainAdapter(config, data, flags);
    const maps = adapter.maps.map(({ model: _model, ...map }) => map);
    const report = {
      id: adapter.id, path, from: adapter.from, to: adapter.to, method: adapter.method, seed: adapter.seed,
      hyperparameters: adapter.hyperparameters, split: adapter.split, maps,
      seconds: maps.reduce((s, m) => s + m.metrics.seconds, 0),
    };
    const summary = [
      `Adapter ${adapter.id} (${adapter.method}, ${adapter.from} → ${adapter.to}, seed ${adapter.seed}) saved to ${path}`,
      ...maps.map((m) =>
        `  held-out fold ${String(m.heldOutFold ?? '-').padStart(2)}: ${m.trainingFaces} faces of ${m.trainingIdentities} identities, ${m.metrics.seconds.toFixed(1)} s` +
          (m.metrics.firstEpochLoss === undefined ? '' : `, loss ${m.metrics.firstEpochLoss.toFixed(5)} → ${m.metrics.lastEpochLoss.toFixed(5)}, semi-hard ${percent(m.metrics.lastEpochSemiHardShare, 1)}`),
      ),
    ].join('\n');
    return { report, summary };
  },
};

runScript('train', [adapterCommand], process.argv.slice(2)).then((code) => process.exit(code));
