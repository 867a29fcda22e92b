import { readFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { check, History, models, writeReport, type Model, type ReportFault } from '../history/index.js';
import { UsageError } from './exit.js';

const MODELS: Record<string, () => Model> = {
  register: () => models.register() as Model,
  'cas-register': () => models.casRegister() as Model,
  kv: () => models.kv() as Model,
  set: () => models.set() as Model,
  counter: () => models.counter() as Model,
};

/** `roc report <history.jsonl>`: the run report of a recorded history, checked against a model when one is named. */
export async function runReport(
  file: string,
  flags: { faults?: string; model?: string; output: string; title?: string },
): Promise<void> {
  const history = History.fromJSONL(readFileSync(file, 'utf8'));
  const faults: ReportFault[] = flags.faults
    ? readFileSync(flags.faults, 'utf8')
        .split('\n')
        .filter((l) => l.trim())
        .map((l) => JSON.parse(l) as ReportFault)
    : [];
  let result;
  if (flags.model !== undefined) {
    const model = MODELS[flags.model];
    if (!model)
      throw new UsageError(
        `--model is one of ${Object.keys(MODELS).join(', ')}, got ${JSON.stringify(flags.model)}`,
        '--model',
      );
    result = await check(history.events, model());
  }
  const out = writeReport(
    { history, faults, result, title: flags.title ?? `ROC run report: ${file}` },
    resolve(flags.output),
  );
  const where = relative(process.cwd(), out);
  process.stdout.write(
    `${history.events.length} events${result ? `, ${result.valid === true ? 'valid' : result.valid === false ? 'NOT linearizable' : 'unknown'} as ${result.model}` : ''}; report: ${where.startsWith('..') ? out : where}\n`,
  );
  if (result && result.valid !== true) process.exitCode = result.valid === false ? 1 : 2;
}
