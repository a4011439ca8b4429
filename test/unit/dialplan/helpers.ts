import { compileDialPlan, type DialPlan, type DialPlanConfig } from '../../../src/dialplan/index.js';

export function mustCompile(config: DialPlanConfig): DialPlan {
  const compiled = compileDialPlan(config);
  if (!compiled.ok) throw new Error(`dial plan does not compile: ${JSON.stringify(compiled.error)}`);
  return compiled.value;
}

/** A plan with one VoIP dial-peer per destination-pattern, tags 1, 2, … in order. */
export function peerPlan(...patterns: string[]): DialPlan {
  return mustCompile({
    version: 1,
    dialPeers: patterns.map((destinationPattern, i) => ({
      tag: i + 1,
      kind: 'voip' as const,
      destinationPattern,
      sessionTarget: `ipv4:192.0.2.${i + 1}`,
    })),
  });
}

/** A plan with one route pattern per CUCM pattern, each to trunk `T<n>`, no partitions. */
export function routePlan(...patterns: string[]): DialPlan {
  return mustCompile({
    version: 1,
    routePatterns: patterns.map((pattern, i) => ({
      pattern,
      target: { kind: 'trunk' as const, name: `T${i + 1}` },
    })),
  });
}
