/**
 * The bridge as an RFC 4579 focus seen from a phone: the 200 to an INVITE to the factory number
 * or to a room's number names the focus in its Contact (`;isfocus`, §3.1 and §5.1), and the
 * factory's 503 at max-conferences says why (Warning 399, RFC 3261 §20.43) and when to come
 * back (Retry-After, §21.5.4).
 */
import { describe, expect, it } from 'vitest';
import { parseNameAddr } from '../../../src/sip/index.js';
import { dial } from '../media-calls/harness.js';
import { FACTORY_NUMBER } from './harness.js';
import { useConferenceNode } from './suite.js';

const suite = useConferenceNode(1);
const { phone, phones } = suite;

/** The Contact of the final response to `dn`'s INVITE to `dialed`, with its status. */
async function answerTo(dn: string, dialed: string) {
  const attempt = await dial(phones.get(dn)!, suite.node.asMediaNode, dn, dialed);
  const { response } = await attempt.waitFor('final');
  const contact = response.headers.get('Contact');
  return { response, contact: contact === undefined ? undefined : parseNameAddr(contact) };
}

describe('the bridge as a focus (RFC 4579)', () => {
  it('answers the factory number and a room number with ;isfocus on the Contact', async () => {
    await Promise.all([phone('201'), phone('202')]);
    const opened = await answerTo('201', FACTORY_NUMBER);
    expect(opened.response.status).toBe(200);
    expect(opened.contact?.ok && opened.contact.value.params).toHaveProperty('isfocus', null);
    const [room] = suite.node.bridge.rooms();
    if (room === undefined) throw new Error('the factory opened no room');

    const joined = await answerTo('202', room.number);
    expect(joined.response.status).toBe(200);
    expect(joined.contact?.ok && joined.contact.value.params).toHaveProperty('isfocus', null);
  });

  it('refuses the factory at max-conferences with 503, a 399 Warning and Retry-After', async () => {
    await phone('201');
    expect((await suite.node.bridge.createRoom()).ok).toBe(true);
    const { response } = await answerTo('201', FACTORY_NUMBER);
    expect(response.status).toBe(503);
    expect(response.headers.get('Warning')).toBe('399 strowger "max-conferences reached"');
    expect(response.headers.get('Retry-After')).toBe('30');
  });
});
