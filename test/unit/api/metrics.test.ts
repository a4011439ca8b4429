import { describe, expect, it } from 'vitest';
import { createMetricsRegistry } from '../../../src/api/metrics.js';
import type { MetricsSources } from '../../../src/api/sources.js';

const quiet: MetricsSources = {
  sipStats: () => ({ requests: [], responses: [] }),
  transactionStats: () => ({ inviteClient: 0, nonInviteClient: 0, inviteServer: 0, nonInviteServer: 0 }),
  registrationCount: () => 0,
  activeCalls: () => 0,
  callsByCause: () => ({}),
};

describe('metrics registry', () => {
  it('bounds the label values a peer controls', async () => {
    const methods = Array.from({ length: 500 }, (_, i) => ({
      direction: 'in' as const,
      method: `M${i}`,
      count: 1,
    }));
    const registry = createMetricsRegistry({
      ...quiet,
      sipStats: () => ({
        requests: methods,
        responses: [{ direction: 'out', method: 'FOO', status: 999, count: 2 }],
      }),
    });
    const text = await registry.metrics();
    expect(text).toContain('strowger_sip_requests_total{direction="in",method="other"} 500');
    expect(text).toContain('strowger_sip_responses_total{direction="out",method="other",status="other"} 2');
    expect(text).not.toContain('M499');
  });

  it('skips counts that are not counts instead of failing the scrape', async () => {
    const registry = createMetricsRegistry({
      ...quiet,
      callsByCause: () => ({ busy: -1, normalClearing: Number.NaN, callNotAnswered: 3 }),
    });
    const text = await registry.metrics();
    expect(text).toContain('strowger_calls_ended_total{cause="callNotAnswered"} 3');
    expect(text).not.toContain('cause="busy"');
  });
});
