/**
 * The dial plan of a configuration: compiled once per snapshot, and analysed call by call the
 * way `strowger dna` and the management API show it.
 */
export {
  analyseCall,
  type CallAnalysis,
  type CallAnalysisResult,
  type CallDestination,
  type CallForward,
  type CallInput,
  type CallTranslation,
  describeRoute,
  MAX_FORWARD_HOPS,
} from './analyse-call.js';
export { type CompiledSnapshotPlan, type CompiledSnapshotResult, compiledPlanOf } from './compiled-plan.js';
export { dialPlanConfigOf, EVERY_PARTITION, lineKey } from './plan-config.js';
