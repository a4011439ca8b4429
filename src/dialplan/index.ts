/**
 * Digit analysis: partitions, calling search spaces, CUCM route/translation patterns, CME
 * dial-peers and IOS voice translation rules, compiled into an immutable, versioned plan.
 * Depends on nothing but the language.
 */
import { compilePlanData, compileRuleSetConfig } from './compile.js';
import { DialPlan } from './plan.js';
import type { CompiledRuleSet } from './translation-rule.js';
import type { DialPlanConfig, DialPlanError, Result, TranslationRuleSetConfig } from './types.js';

export { MAX_NUMBER_LENGTH } from './alphabet.js';
export { parseWildcardPattern } from './cisco-wildcard.js';
export { parseDestinationPattern } from './destination-pattern.js';
export type { CompiledPattern } from './pattern-tokens.js';
export { DialPlan, MAX_HOPS, type ProfileField } from './plan.js';
export {
  type CompiledRuleSet,
  MAX_RULES_PER_SET,
  type RuleTestInput,
  type RuleTestResult,
  testRuleSet,
} from './translation-rule.js';
export { parseTranslationRuleLine } from './translation-rule-text.js';
export type * from './types.js';

/** Compiles `config`, listing every problem in it; never throws. */
export function compileDialPlan(config: DialPlanConfig): Result<DialPlan, DialPlanError[]> {
  const data = compilePlanData(config);
  return data.ok ? { ok: true, value: new DialPlan(data.value) } : data;
}

/** Compiles one `voice translation-rule` set, for `testRuleSet` (IOS `test voice translation-rule`). */
export function compileTranslationRuleSet(
  config: TranslationRuleSetConfig,
): Result<CompiledRuleSet, DialPlanError[]> {
  return compileRuleSetConfig(config);
}
