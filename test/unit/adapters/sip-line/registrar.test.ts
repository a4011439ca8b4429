import { beforeEach, describe, expect, it } from 'vitest';
import { parseDigestChallenge } from '../../../../src/sip/index.js';
import {
  contactsOf,
  demoSnapshot,
  EPOCH,
  PHONE_201,
  PHONE_202,
  RegistrarHarness,
  registerRequest,
} from './harness.js';

const CONTACT = '<sip:201@192.0.2.10:5062>';

let harness: RegistrarHarness;

beforeEach(async () => {
  harness = new RegistrarHarness();
  await harness.adapter.start();
});

describe('authentication (RFC 3261 §22)', () => {
  it('challenges a REGISTER without credentials with SHA-256 and MD5, and binds nothing', async () => {
    const response = await harness.send(registerRequest({ dn: '201', contacts: [CONTACT] }));
    expect(response.status).toBe(401);
    const challenges = response.headers.getAll('WWW-Authenticate').map(parseDigestChallenge);
    expect(challenges.map((c) => c.ok && [c.value.realm, c.value.algorithm])).toEqual([
      ['strowger.test', 'SHA-256'],
      ['strowger.test', 'MD5'],
    ]);
    expect(harness.adapter.registrations()).toEqual([]);
    expect(harness.store.rows.size).toBe(0);
  });

  it.each(['SHA-256', 'MD5'])('accepts credentials answering the %s challenge', async (algorithm) => {
    const challenge = await harness.send(registerRequest({ dn: '201', contacts: [CONTACT], callId: 'c1' }));
    // Leave only the challenge of this algorithm, as a UA that knows no other would read it.
    const offered = challenge.headers
      .getAll('WWW-Authenticate')
      .filter((value) => value.includes(`algorithm=${algorithm}`));
    challenge.headers.set('WWW-Authenticate', offered[0]!);
    const request = harness.authorized(
      challenge,
      { dn: '201', contacts: [CONTACT], callId: 'c1', cseq: 2 },
      PHONE_201,
    );
    expect(request.headers.get('Authorization')).toContain(`algorithm=${algorithm}`);
    const response = await harness.send(request);
    expect(response.status).toBe(200);
  });

  it('re-challenges a wrong password and an unknown user alike', async () => {
    const wrong = await harness.register(
      { dn: '201', contacts: [CONTACT] },
      { username: '201', password: 'nope' },
    );
    const unknown = await harness.register(
      { dn: '201', contacts: [CONTACT] },
      { username: '999', password: 'x' },
    );
    const noPassword = await harness.register(
      { dn: '203', contacts: [CONTACT] },
      { username: '203', password: '' },
    );
    for (const response of [wrong, unknown, noPassword]) {
      expect(response.status).toBe(401);
      expect(response.headers.getAll('WWW-Authenticate')).toHaveLength(2);
    }
    expect(harness.adapter.registrations()).toEqual([]);
    expect(harness.adapter.stats().authFailures).toBe(3);
  });

  it('challenges missing and stale credentials statelessly, a failed login within its transaction', async () => {
    const bare = await harness.send(registerRequest({ dn: '201', contacts: [CONTACT], callId: 'c1' }));
    expect(bare.status).toBe(401);
    expect(harness.stateless.has(bare)).toBe(true);

    const wrong = await harness.send(
      harness.authorized(
        bare,
        { dn: '201', contacts: [CONTACT], callId: 'c1', cseq: 2 },
        { username: '201', password: 'nope' },
      ),
    );
    expect(wrong.status).toBe(401);
    expect(harness.stateless.has(wrong)).toBe(false);

    harness.clock.advance(301_000);
    const stale = await harness.send(
      harness.authorized(bare, { dn: '201', contacts: [CONTACT], callId: 'c1', cseq: 3 }, PHONE_201),
    );
    expect(stale.status).toBe(401);
    expect(stale.headers.get('WWW-Authenticate')).toContain('stale=true');
    expect(harness.stateless.has(stale)).toBe(true);

    const ok = await harness.send(
      harness.authorized(stale, { dn: '201', contacts: [CONTACT], callId: 'c1', cseq: 4 }, PHONE_201),
    );
    expect(ok.status).toBe(200);
    expect(harness.stateless.has(ok)).toBe(false);
  });

  it('checks a password changed by a new configuration, not the one it hashed before', async () => {
    expect((await harness.register({ dn: '201', contacts: [CONTACT] }, PHONE_201)).status).toBe(200);
    const changed = demoSnapshot();
    const phone = changed.phonesBySipUsername.get('201');
    if (phone === undefined) throw new Error('phone 201 missing from the demo snapshot');
    const renewed = { ...phone, sipPassword: 'renewed-201' };
    harness.snapshot = {
      ...changed,
      phonesBySipUsername: new Map([...changed.phonesBySipUsername, ['201', renewed]]),
    };
    const old = await harness.register({ dn: '201', contacts: [CONTACT] }, PHONE_201);
    expect(old.status).toBe(401);
    const fresh = await harness.register(
      { dn: '201', contacts: [CONTACT] },
      { username: '201', password: 'renewed-201' },
    );
    expect(fresh.status).toBe(200);
  });

  it('refuses with 403 a line that is not on the authenticated phone', async () => {
    const response = await harness.register({ dn: '202', contacts: [CONTACT] }, PHONE_201);
    expect(response.status).toBe(403);
    const missing = await harness.register({ dn: '299', contacts: [CONTACT] }, PHONE_201);
    expect(missing.status).toBe(403);
    expect(harness.adapter.registrations()).toEqual([]);
    expect(harness.adapter.stats().authFailures).toBe(0);
  });
});

describe('bindings (RFC 3261 §10.3)', () => {
  it('binds a contact and answers 200 with every binding, its expiry and a Date', async () => {
    const response = await harness.register({ dn: '201', contacts: [CONTACT], expires: 600 }, PHONE_201);
    expect(response.status).toBe(200);
    expect(contactsOf(response)).toEqual(['<sip:201@192.0.2.10:5062>;expires=600']);
    expect(response.headers.get('Date')).toBe(new Date(EPOCH).toUTCString());
    expect(harness.adapter.registrations()).toEqual([
      {
        aor: 'sip:201@strowger.test',
        dn: '201',
        partition: 'internal',
        phone: 'phone-201',
        contact: 'sip:201@192.0.2.10:5062',
        source: { protocol: 'UDP', address: '192.0.2.10', port: 5060 },
        expiresIn: 600,
        userAgent: null,
        instanceId: null,
      },
    ]);
    expect(harness.adapter.lookup('201').map((c) => c.contact)).toEqual(['sip:201@192.0.2.10:5062']);
    expect(harness.adapter.stats().bindingsByLine).toEqual([
      { dn: '201', partition: 'internal', bindings: 1 },
    ]);
    expect([...harness.store.rows.values()].map((row) => [row.aor, row.contactUri, row.expiresAt])).toEqual([
      ['sip:201@strowger.test', 'sip:201@192.0.2.10:5062', new Date(EPOCH + 600_000)],
    ]);
  });

  it('lets one phone register each of its lines', async () => {
    expect((await harness.register({ dn: '201', contacts: [CONTACT] }, PHONE_201)).status).toBe(200);
    expect((await harness.register({ dn: '205', contacts: [CONTACT] }, PHONE_201)).status).toBe(200);
    expect(harness.adapter.registrations().map((r) => r.dn)).toEqual(['201', '205']);
  });

  it('uses the registrar default without any expires', async () => {
    harness.snapshot = demoSnapshot({
      expiresDefault: 1200,
      expiresMin: 60,
      expiresMax: 3600,
    });
    const response = await harness.register({ dn: '201', contacts: [CONTACT] }, PHONE_201);
    expect(contactsOf(response)).toEqual(['<sip:201@192.0.2.10:5062>;expires=1200']);
  });

  it('prefers the contact expires parameter over the Expires header field', async () => {
    const response = await harness.register(
      { dn: '201', contacts: [`${CONTACT};expires=120`, '<sip:201@192.0.2.11>'], expires: 300 },
      PHONE_201,
    );
    expect(contactsOf(response)).toEqual([
      '<sip:201@192.0.2.10:5062>;expires=120',
      '<sip:201@192.0.2.11>;expires=300',
    ]);
  });

  it('cuts an interval above the maximum to the maximum', async () => {
    const response = await harness.register({ dn: '201', contacts: [CONTACT], expires: 86400 }, PHONE_201);
    expect(contactsOf(response)).toEqual(['<sip:201@192.0.2.10:5062>;expires=3600']);
  });

  it('answers an interval below the minimum with 423 and Min-Expires, binding nothing', async () => {
    const response = await harness.register({ dn: '201', contacts: [CONTACT], expires: 30 }, PHONE_201);
    expect(response.status).toBe(423);
    expect(response.headers.get('Min-Expires')).toBe('60');
    expect(harness.adapter.registrations()).toEqual([]);
  });

  it('answers a REGISTER without Contact with the current bindings (a query)', async () => {
    await harness.register({ dn: '201', contacts: [CONTACT], expires: 600 }, PHONE_201);
    harness.clock.advance(100_000);
    const response = await harness.register({ dn: '201' }, PHONE_201);
    expect(response.status).toBe(200);
    expect(contactsOf(response)).toEqual(['<sip:201@192.0.2.10:5062>;expires=500']);
  });

  it('removes one contact with expires=0 and keeps the others', async () => {
    await harness.register({ dn: '201', contacts: [CONTACT, '<sip:201@192.0.2.11>'] }, PHONE_201);
    const response = await harness.register({ dn: '201', contacts: [`${CONTACT};expires=0`] }, PHONE_201);
    expect(response.status).toBe(200);
    expect(contactsOf(response)).toEqual(['<sip:201@192.0.2.11>;expires=3600']);
    expect([...harness.store.rows.values()].map((row) => row.contactUri)).toEqual(['sip:201@192.0.2.11']);
  });

  it('removes every binding of the line with Contact: * and Expires: 0', async () => {
    await harness.register({ dn: '201', contacts: [CONTACT, '<sip:201@192.0.2.11>'] }, PHONE_201);
    await harness.register({ dn: '205', contacts: [CONTACT] }, PHONE_201);
    const events: string[] = [];
    harness.adapter.on('unregistered', (event) =>
      events.push(`${event.registration.contact} ${event.reason}`),
    );
    const response = await harness.register({ dn: '201', contacts: ['*'], expires: 0 }, PHONE_201);
    expect(response.status).toBe(200);
    expect(contactsOf(response)).toEqual([]);
    expect(events.sort()).toEqual(['sip:201@192.0.2.10:5062 removed', 'sip:201@192.0.2.11 removed']);
    expect(harness.adapter.registrations().map((r) => r.dn)).toEqual(['205']);
    expect(harness.store.rows.size).toBe(1);
  });

  it.each([
    ['* with a non-zero Expires', { contacts: ['*'], expires: 60 }],
    ['* without Expires', { contacts: ['*'] }],
    ['* with another contact', { contacts: ['*', CONTACT], expires: 0 }],
  ])('answers %s with 400', async (_name, init) => {
    const response = await harness.register({ dn: '201', ...init }, PHONE_201);
    expect(response.status).toBe(400);
  });

  it('refuses a contact that is not a SIP URI', async () => {
    const response = await harness.register({ dn: '201', contacts: ['<mailto:201@example.com>'] }, PHONE_201);
    expect(response.status).toBe(400);
  });

  it('treats two spellings of one contact URI as one binding (RFC 3261 §19.1.4)', async () => {
    await harness.register(
      { dn: '201', contacts: ['<sip:201@192.0.2.10;transport=udp;line=ab>'] },
      PHONE_201,
    );
    const response = await harness.register(
      { dn: '201', contacts: ['<sip:201@192.0.2.10;LINE=AB;transport=UDP>'] },
      PHONE_201,
    );
    expect(contactsOf(response)).toHaveLength(1);
    expect(harness.store.rows.size).toBe(1);
  });

  it('refuses more contacts than a line may have', async () => {
    const small = new RegistrarHarness({ maxBindingsPerLine: 2 });
    await small.adapter.start();
    await small.register({ dn: '201', contacts: [CONTACT, '<sip:201@192.0.2.11>'] }, PHONE_201);
    const response = await small.register({ dn: '201', contacts: ['<sip:201@192.0.2.12>'] }, PHONE_201);
    expect(response.status).toBe(403);
    expect(small.adapter.registrations()).toHaveLength(2);
  });

  it('echoes Path to a UA that supports it and hands it to routing (RFC 3327)', async () => {
    const response = await harness.register(
      {
        dn: '201',
        contacts: [CONTACT],
        extraHeaders: [
          ['Path', '<sip:edge.example.com;lr>'],
          ['Supported', 'path'],
        ],
      },
      PHONE_201,
    );
    expect(response.headers.getAll('Path')).toEqual(['<sip:edge.example.com;lr>']);
    expect(harness.adapter.lookup('201')[0]?.path).toEqual(['<sip:edge.example.com;lr>']);
  });

  it('keeps the User-Agent for display, cut to 256 characters', async () => {
    await harness.register(
      { dn: '201', contacts: [CONTACT], extraHeaders: [['User-Agent', `Phone/${'x'.repeat(1000)}`]] },
      PHONE_201,
    );
    expect(harness.adapter.registrations()[0]?.userAgent).toBe(`Phone/${'x'.repeat(250)}`);
  });

  it('answers 420 for an option tag it does not support', async () => {
    const response = await harness.send(
      registerRequest({ dn: '201', contacts: [CONTACT], extraHeaders: [['Require', 'outbound']] }),
    );
    expect(response.status).toBe(420);
    expect(response.headers.get('Unsupported')).toBe('outbound');
  });
});

describe('Call-ID and CSeq ordering (RFC 3261 §10.3 step 7)', () => {
  it('refuses a REGISTER of the same Call-ID with a CSeq not above the binding, changing nothing', async () => {
    await harness.register({ dn: '201', contacts: [CONTACT], callId: 'same', cseq: 10 }, PHONE_201);
    const replay = await harness.register(
      { dn: '201', contacts: [`${CONTACT};expires=0`], callId: 'same', cseq: 5 },
      PHONE_201,
    );
    expect(replay.status).toBe(500);
    expect(harness.adapter.registrations()).toHaveLength(1);
    const removeAll = await harness.register(
      { dn: '201', contacts: ['*'], expires: 0, callId: 'same', cseq: 9 },
      PHONE_201,
    );
    expect(removeAll.status).toBe(500);
    expect(harness.adapter.registrations()).toHaveLength(1);
  });

  it('accepts a higher CSeq in the same Call-ID and any CSeq in another Call-ID', async () => {
    await harness.register({ dn: '201', contacts: [CONTACT], callId: 'same', cseq: 10 }, PHONE_201);
    const later = await harness.register(
      { dn: '201', contacts: [CONTACT], callId: 'same', cseq: 20, expires: 120 },
      PHONE_201,
    );
    expect(contactsOf(later)).toEqual(['<sip:201@192.0.2.10:5062>;expires=120']);
    const other = await harness.register(
      { dn: '201', contacts: [CONTACT], callId: 'other', cseq: 1, expires: 240 },
      PHONE_201,
    );
    expect(contactsOf(other)).toEqual(['<sip:201@192.0.2.10:5062>;expires=240']);
  });
});

describe('expiry', () => {
  it('removes a binding when its time is up, from memory and the store', async () => {
    const events: string[] = [];
    harness.adapter.on('unregistered', (event) => events.push(event.reason));
    await harness.register({ dn: '201', contacts: [CONTACT], expires: 60 }, PHONE_201);
    harness.clock.advance(59_999);
    expect(harness.adapter.registrations()).toHaveLength(1);
    harness.clock.advance(1);
    await harness.adapter.stop();
    expect(harness.adapter.registrations()).toEqual([]);
    expect(harness.store.rows.size).toBe(0);
    expect(events).toEqual(['expired']);
  });

  it('keeps a refreshed binding alive past its first expiry', async () => {
    await harness.register({ dn: '201', contacts: [CONTACT], expires: 60, callId: 'r', cseq: 1 }, PHONE_201);
    harness.clock.advance(50_000);
    await harness.register({ dn: '201', contacts: [CONTACT], expires: 60, callId: 'r', cseq: 3 }, PHONE_201);
    harness.clock.advance(50_000);
    expect(harness.adapter.lookup('201')).toHaveLength(1);
    harness.clock.advance(10_000);
    await Promise.resolve();
    expect(harness.adapter.lookup('201')).toEqual([]);
  });
});

describe('persistence', () => {
  it('restores stored bindings after a restart with the time they have left, dropping expired ones', async () => {
    await harness.register({ dn: '201', contacts: [CONTACT], expires: 600 }, PHONE_201);
    await harness.register({ dn: '205', contacts: [CONTACT], expires: 60 }, PHONE_201);
    await harness.adapter.stop();
    harness.clock.advance(120_000);

    const restarted = harness.createAdapter();
    await restarted.start();
    expect(restarted.registrations().map((r) => [r.dn, r.expiresIn])).toEqual([['201', 480]]);
    expect(harness.store.rows.size).toBe(1);
    harness.clock.advance(480_000);
    await restarted.stop();
    expect(restarted.registrations()).toEqual([]);
    expect(harness.store.rows.size).toBe(0);
  });

  it('drops stored bindings of a line the phone no longer shows', async () => {
    await harness.register({ dn: '205', contacts: [CONTACT] }, PHONE_201);
    await harness.adapter.stop();
    // Rows of line 205 claimed by phone-202 do not apply: phone-202 does not show 205.
    for (const [key, row] of harness.store.rows) harness.store.rows.set(key, { ...row, device: 'phone-202' });
    const restarted = harness.createAdapter();
    await restarted.start();
    expect(restarted.registrations()).toEqual([]);
    expect(harness.store.rows.size).toBe(0);
  });

  it('answers 500 and keeps memory unchanged when the store fails', async () => {
    harness.store.failing = true;
    const response = await harness.register({ dn: '201', contacts: [CONTACT] }, PHONE_201);
    expect(response.status).toBe(500);
    expect(harness.adapter.registrations()).toEqual([]);
    expect(harness.logger.lines.some((line) => line.message === 'registration could not be stored')).toBe(
      true,
    );
  });

  it('answers 503 with Retry-After to a REGISTER beyond the queue of its line', async () => {
    const init = (cseq: number) => ({ dn: '201', contacts: [CONTACT], callId: 'queued', cseq });
    const challenges = [];
    for (let i = 0; i < 17; i++) challenges.push(await harness.send(registerRequest(init(1))));
    const requests = challenges.map((challenge, i) => harness.authorized(challenge, init(2 + i), PHONE_201));
    const responses = await Promise.all(requests.map((request) => harness.send(request)));
    expect(responses.slice(0, 16).every((response) => response.status === 200)).toBe(true);
    const refused = responses[16];
    expect([refused?.status, refused?.headers.get('Retry-After')]).toEqual([503, '1']);
  });

  it('answers 503 before start and after stop', async () => {
    const fresh = new RegistrarHarness();
    const before = await fresh.send(registerRequest({ dn: '201', contacts: [CONTACT] }));
    expect([before.status, before.headers.get('Retry-After')]).toEqual([503, '5']);
    await harness.adapter.stop();
    expect((await harness.send(registerRequest({ dn: '201', contacts: [CONTACT] }))).status).toBe(503);
  });
});

describe('lockout', () => {
  const wrong = { username: '201', password: 'guess' };

  it('locks a source out after ten failures, with one log line, until the duration ends', async () => {
    for (let attempt = 1; attempt < 10; attempt++) {
      expect((await harness.register({ dn: '201', contacts: [CONTACT] }, wrong)).status).toBe(401);
    }
    expect((await harness.register({ dn: '201', contacts: [CONTACT] }, wrong)).status).toBe(403);
    // Locked out: even the right password gets 403, and so does a bare REGISTER.
    expect((await harness.register({ dn: '201', contacts: [CONTACT] }, PHONE_201)).status).toBe(403);
    expect((await harness.send(registerRequest({ dn: '201', contacts: [CONTACT] }))).status).toBe(403);
    // Another address is not affected.
    expect((await harness.register({ dn: '202', contacts: [CONTACT] }, PHONE_202, '192.0.2.99')).status).toBe(
      200,
    );
    const lockoutLines = harness.logger.lines.filter((line) => line.message.includes('locked out'));
    expect(lockoutLines).toHaveLength(1);
    expect(lockoutLines[0]?.fields).toMatchObject({ source: '192.0.2.10', failures: 10 });
    expect(harness.adapter.stats()).toMatchObject({ authFailures: 10, lockouts: 1, lockedSources: 1 });

    harness.clock.advance(600_000);
    expect(harness.adapter.stats().lockedSources).toBe(0);
    expect((await harness.register({ dn: '201', contacts: [CONTACT] }, PHONE_201)).status).toBe(200);
  });

  it('follows a configured policy', async () => {
    const strict = new RegistrarHarness({ lockout: { failures: 2, durationMs: 1000 } });
    await strict.adapter.start();
    expect((await strict.register({ dn: '201', contacts: [CONTACT] }, wrong)).status).toBe(401);
    expect((await strict.register({ dn: '201', contacts: [CONTACT] }, wrong)).status).toBe(403);
    strict.clock.advance(1000);
    expect((await strict.register({ dn: '201', contacts: [CONTACT] }, PHONE_201)).status).toBe(200);
  });

  it('does not count failures spread wider than the window', async () => {
    const windowed = new RegistrarHarness({ lockout: { failures: 2, windowMs: 1000 } });
    await windowed.adapter.start();
    expect((await windowed.register({ dn: '201', contacts: [CONTACT] }, wrong)).status).toBe(401);
    windowed.clock.advance(1000);
    expect((await windowed.register({ dn: '201', contacts: [CONTACT] }, wrong)).status).toBe(401);
  });
});

describe('events', () => {
  it('tells listeners about new bindings and refreshes, and survives a throwing listener', async () => {
    const seen: string[] = [];
    harness.adapter.on('registered', () => {
      throw new Error('listener bug');
    });
    const unsubscribe = harness.adapter.on('registered', (event) =>
      seen.push(`${event.registration.dn} ${event.refresh ? 'refresh' : 'new'}`),
    );
    await harness.register({ dn: '201', contacts: [CONTACT], callId: 'e', cseq: 1 }, PHONE_201);
    await harness.register({ dn: '201', contacts: [CONTACT], callId: 'e', cseq: 5 }, PHONE_201);
    unsubscribe();
    await harness.register({ dn: '205', contacts: [CONTACT] }, PHONE_201);
    expect(seen).toEqual(['201 new', '201 refresh']);
    expect(
      harness.logger.lines.filter((line) => line.message === 'registration listener failed'),
    ).toHaveLength(3);
  });
});
