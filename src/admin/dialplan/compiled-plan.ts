/**
 * One compiled dial plan per snapshot. Snapshots are immutable, so the plan is compiled the
 * first time a snapshot is analysed and kept as long as the snapshot is (a WeakMap: replaced
 * snapshots and their plans are collected together).
 */
import { compileDialPlan, type DialPlan, type DialPlanError } from '../../dialplan/index.js';
import type { ConfigSnapshot, LineSnapshot } from '../config/index.js';
import { dialPlanConfigOf, lineKey } from './plan-config.js';

export interface CompiledSnapshotPlan {
  readonly plan: DialPlan;
  /** Lines by `partition/dn`, the name the plan gives a directory number's destination. */
  readonly lines: ReadonlyMap<string, LineSnapshot>;
  /** The trunk a `session target sip-server` dial-peer uses, by tag. */
  readonly peerTrunks: ReadonlyMap<number, string>;
}

export type CompiledSnapshotResult =
  | { readonly ok: true; readonly value: CompiledSnapshotPlan }
  | { readonly ok: false; readonly errors: readonly DialPlanError[] };

const compiled = new WeakMap<ConfigSnapshot, CompiledSnapshotResult>();

/** The snapshot's dial plan, compiled once; a plan that does not compile lists its problems. */
export function compiledPlanOf(snapshot: ConfigSnapshot): CompiledSnapshotResult {
  let result = compiled.get(snapshot);
  if (result === undefined) {
    result = compile(snapshot);
    compiled.set(snapshot, result);
  }
  return result;
}

function compile(snapshot: ConfigSnapshot): CompiledSnapshotResult {
  const plan = compileDialPlan(dialPlanConfigOf(snapshot));
  if (!plan.ok) return { ok: false, errors: Object.freeze(plan.error) };
  const lines = new Map<string, LineSnapshot>();
  for (const byDn of snapshot.lines.values())
    for (const line of byDn.values()) lines.set(lineKey(line), line);
  // CME has one sip-ua: `sip-server` is the only trunk unless the dial-peer names one
  const onlyTrunk = snapshot.trunks.size === 1 ? [...snapshot.trunks.keys()][0] : undefined;
  const peerTrunks = new Map<number, string>();
  for (const peer of snapshot.dialPeers.values()) {
    const trunk = peer.trunk ?? onlyTrunk;
    if (trunk !== undefined) peerTrunks.set(peer.tag, trunk);
  }
  return { ok: true, value: Object.freeze({ plan: plan.value, lines, peerTrunks }) };
}
