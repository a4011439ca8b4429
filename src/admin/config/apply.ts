import { describeStoreError, type Repositories, type Store } from '../../store/index.js';
import { compiledPlanOf } from '../dialplan/compiled-plan.js';
import { type ConfigFile, rowOfTrunk } from './configuration.js';
import { type ConfigChange, type ConfigPlan, planConfig } from './plan.js';
import { buildSnapshot } from './snapshot.js';

export type ApplyResult =
  | {
      readonly ok: true;
      /** Empty when the store already held this configuration ("no changes"). */
      readonly changes: readonly ConfigChange[];
      /** The configuration version now in the store; unchanged when nothing changed. */
      readonly version: number;
    }
  | { readonly ok: false; readonly errors: readonly string[] };

/** Thrown inside the transaction to roll it back with a message for the administrator. */
class Rejected extends Error {
  constructor(readonly errors: string[]) {
    super(errors.join('; '));
  }
}

/**
 * Makes the store hold the configuration of a validated file, in one transaction: either every
 * change is written or none is. Sections present in the file are authoritative (objects missing
 * from them are removed); absent sections are left as they are. Applying the same file again
 * changes nothing and keeps the version. References into sections the file does not list are
 * checked by the store; a violation rolls everything back and is reported in `errors`.
 * Rejects only when the store itself fails (connection lost, disk full).
 */
export async function applyConfig(
  store: Store,
  file: Pick<ConfigFile, 'configuration' | 'sha256'>,
  now: () => Date = () => new Date(),
): Promise<ApplyResult> {
  try {
    return await store.withTransaction(async (tx) => {
      await tx.configuration.lockForChange();
      const current = await tx.configuration.readAll();
      const version = current.meta?.version ?? 0;
      const planned = planConfig(current, file.configuration);
      if (!planned.ok) throw new Rejected(planned.errors);
      if (planned.plan.changes.length === 0) return { ok: true, changes: [], version };
      await execute(tx, planned.plan);
      await checkDialPlanCompiles(tx);
      await tx.configuration.setMeta({ version: version + 1, sha256: file.sha256, appliedAt: now() });
      return { ok: true, changes: planned.plan.changes, version: version + 1 };
    });
  } catch (error) {
    if (error instanceof Rejected) return { ok: false, errors: error.errors };
    const described = describeStoreError(error);
    if (described !== undefined) return { ok: false, errors: [described] };
    throw error;
  }
}

/**
 * The file was checked on its own; together with what the store already held, the dial plan
 * must still compile, or no node could route with it.
 */
async function checkDialPlanCompiles(tx: Repositories): Promise<void> {
  const compiled = compiledPlanOf(buildSnapshot(await tx.configuration.readAll()));
  if (!compiled.ok) {
    throw new Rejected(
      compiled.errors.map((error) => {
        const at = error.position === undefined ? '' : ` (at character ${error.position + 1})`;
        return `the dial plan does not compile: ${error.path}: ${error.message}${at}`;
      }),
    );
  }
}

/**
 * Writes a plan in an order the foreign keys accept: referenced objects are written before the
 * objects that refer to them, and removed after them.
 */
async function execute(tx: Repositories, plan: ConfigPlan): Promise<void> {
  const config = tx.configuration;
  if (plan.registrar) await config.setRegistrar(plan.registrar);

  await config.insert('partition', plan.partitions.added);
  for (const { object } of plan.partitions.modified) await config.update('partition', object, object);
  await config.insert('devicePool', plan.devicePools.added);
  for (const { object } of plan.devicePools.modified) await config.update('devicePool', object, object);
  await config.insert(
    'user',
    plan.users.added.map((user) => ({ ...user, pinHash: null, passwordHash: null })),
  );
  for (const { object } of plan.users.modified) await config.update('user', object, { name: object.name });

  const changedSpaces = [
    ...plan.callingSearchSpaces.added,
    ...plan.callingSearchSpaces.modified.map((m) => m.object),
  ];
  await config.insert(
    'callingSearchSpace',
    plan.callingSearchSpaces.added.map(({ name, description }) => ({ name, description })),
  );
  for (const { name, description } of changedSpaces) {
    await config.update('callingSearchSpace', { name }, { description });
  }
  await config.replaceCallingSearchSpaceMembers(changedSpaces);
  await writeDialPlan(tx, plan);

  await config.insert('line', plan.lines.added);
  for (const { object } of plan.lines.modified) await config.update('line', object, object);

  // Removed phones go first and changed SIP user names are cleared before they are set again,
  // so that user names can move between phones without tripping the unique index.
  for (const phone of plan.phones.removed) await config.delete('device', phone);
  for (const { object, fields } of plan.phones.modified) {
    if (fields.includes('sip.username')) await config.update('device', object, { sipUsername: null });
  }
  for (const { object } of plan.phones.modified) {
    const { lines: _lines, ...device } = object;
    await config.update('device', device, device);
  }
  await config.insert(
    'device',
    plan.phones.added.map(({ lines: _lines, ...device }) => device),
  );
  await config.replaceLineAppearances([...plan.phones.added, ...plan.phones.modified.map((m) => m.object)]);

  await removeDialPlan(tx, plan);
  for (const line of plan.lines.removed) await config.delete('line', line);
  for (const css of plan.callingSearchSpaces.removed) await config.delete('callingSearchSpace', css);
  for (const user of plan.users.removed) await config.delete('user', user);
  for (const pool of plan.devicePools.removed) await config.delete('devicePool', pool);
  for (const partition of plan.partitions.removed) await config.delete('partition', partition);
}

/** Adds and changes dial plan objects, each after what it refers to (rule sets, profiles, trunks, pilots). */
async function writeDialPlan(tx: Repositories, plan: ConfigPlan): Promise<void> {
  const config = tx.configuration;
  const {
    translationRules,
    translationProfiles,
    trunks,
    pilots,
    dialPeers,
    routePatterns,
    translationPatterns,
  } = plan;
  await config.insert(
    'translationRuleSet',
    translationRules.added.map(({ id }) => ({ id })),
  );
  await config.replaceTranslationRules([
    ...translationRules.added,
    ...translationRules.modified.map((m) => m.object),
  ]);
  await config.insert('translationProfile', translationProfiles.added);
  for (const { object } of translationProfiles.modified)
    await config.update('translationProfile', object, object);
  await config.insert('trunk', trunks.added.map(rowOfTrunk));
  for (const { object } of trunks.modified) await config.update('trunk', object, rowOfTrunk(object));
  await config.insert('pilot', pilots.added);
  for (const { object } of pilots.modified) await config.update('pilot', object, object);
  await config.insert('dialPeer', dialPeers.added);
  for (const { object } of dialPeers.modified) await config.update('dialPeer', object, object);
  await config.insert('routePattern', routePatterns.added);
  for (const { object } of routePatterns.modified) await config.update('routePattern', object, object);
  await config.insert('translationPattern', translationPatterns.added);
  for (const { object } of translationPatterns.modified)
    await config.update('translationPattern', object, object);
}

/** Removes dial plan objects, each before what it refers to. */
async function removeDialPlan(tx: Repositories, plan: ConfigPlan): Promise<void> {
  const config = tx.configuration;
  for (const pattern of plan.translationPatterns.removed) await config.delete('translationPattern', pattern);
  for (const pattern of plan.routePatterns.removed) await config.delete('routePattern', pattern);
  for (const peer of plan.dialPeers.removed) await config.delete('dialPeer', peer);
  for (const pilot of plan.pilots.removed) await config.delete('pilot', pilot);
  for (const trunk of plan.trunks.removed) await config.delete('trunk', trunk);
  for (const profile of plan.translationProfiles.removed) await config.delete('translationProfile', profile);
  for (const set of plan.translationRules.removed) await config.delete('translationRuleSet', set);
}
