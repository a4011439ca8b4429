/** RFC 2782 target selection order: lowest priority first, weighted random within a priority. */
import type { SrvRecord } from './dns.js';

/**
 * Orders SRV records for trying in turn. `random` returns a number in [0, 1), as Math.random.
 * Records whose target is "." say the service is not offered there and are dropped (RFC 2782).
 */
export function orderSrvRecords(records: readonly SrvRecord[], random: () => number): SrvRecord[] {
  const usable = records.filter((record) => record.name !== '.' && record.name !== '');
  const byPriority = new Map<number, SrvRecord[]>();
  for (const record of usable) {
    const group = byPriority.get(record.priority);
    if (group === undefined) byPriority.set(record.priority, [record]);
    else group.push(record);
  }
  const ordered: SrvRecord[] = [];
  for (const priority of [...byPriority.keys()].sort((a, b) => a - b)) {
    // RFC 2782: weight-0 records first, then repeatedly pick by running sum of weights.
    const pool = byPriority
      .get(priority)!
      .sort((a, b) => (a.weight === 0 ? 0 : 1) - (b.weight === 0 ? 0 : 1));
    while (pool.length > 0) {
      const total = pool.reduce((sum, record) => sum + record.weight, 0);
      const pick = Math.floor(random() * (total + 1));
      let running = 0;
      let index = pool.findIndex((record) => {
        running += record.weight;
        return running >= pick;
      });
      if (index === -1) index = pool.length - 1;
      ordered.push(pool[index]!);
      pool.splice(index, 1);
    }
  }
  return ordered;
}
