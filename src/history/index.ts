/**
 * Histories and checkers (`roc-toolkit/history`): record what clients saw
 * during faults, in Jepsen's shape, and decide whether it was linearizable
 * or whether a set lost what it acknowledged.
 */
export {
  defaultClassifier,
  fromJSONL,
  History,
  HistoryError,
  operationsOf,
  PendingOp,
  toJSONL,
  type Classifier,
  type HistoryEvent,
  type Operation,
} from './history.js';
export { canonical, casRegister, counter, kv, models, register, set, type Model } from './models.js';
export { check, type CheckOptions, type CheckResult } from './linearizability.js';
export { checkSet, type SetOp, type SetProblem, type SetResult } from './set-checker.js';
export { renderReport, writeReport, type ReportFault, type ReportInput } from './report.js';
