/**
 * What a running node shows of its phones and calls, built by hand for the API and the `show`
 * commands: phone 201 registered from 192.0.2.10, and call 1 from 201 to 202.
 */
import type { CallView, RegistrationView } from '../../src/api/index.js';

/** Phone 201's registration (a Cisco 7960), with `fields` changed. */
export function registrationView(fields: Partial<RegistrationView> = {}): RegistrationView {
  return {
    aor: 'sip:201@strowger.test',
    dn: '201',
    partition: 'internal',
    phone: 'phone-201',
    contact: 'sip:201@192.0.2.10:5060;transport=udp',
    source: { protocol: 'UDP', address: '192.0.2.10', port: 5060 },
    expiresIn: 3542,
    userAgent: 'Cisco-CP7960G/8.0',
    instanceId: null,
    ...fields,
  };
}

/** Call 1: phone-201 (201) called phone-202 (202) and both are connected; `fields` changed. */
export function callView(fields: Partial<CallView> = {}): CallView {
  return {
    id: 'call-1',
    phase: 'connected',
    calling: '201',
    called: '202',
    connections: [
      {
        id: 'c1',
        deviceKind: 'sip-line',
        deviceId: 'phone-201',
        number: '201',
        direction: 'originating',
        state: 'connected',
      },
      {
        id: 'c2',
        deviceKind: 'sip-line',
        deviceId: 'phone-202',
        number: '202',
        direction: 'terminating',
        state: 'connected',
      },
    ],
    startedAt: Date.UTC(2030, 0, 1, 12, 0, 0),
    answeredAt: Date.UTC(2030, 0, 1, 12, 0, 5),
    ...fields,
  };
}
