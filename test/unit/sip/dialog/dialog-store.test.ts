/** One INVITE forked by a proxy: an early dialog per To tag (RFC 3261 §12.1.2, §13.2.2.4). */
import { describe, expect, it } from 'vitest';
import {
  createUacDialog,
  DialogStore,
  receiveInDialogResponse,
  responseDialogId,
} from '../../../../src/sip/dialog/index.js';
import { aliceInvite, bobAnswer } from './fixtures.js';

describe('DialogStore with a forked INVITE', () => {
  it('holds one early dialog per To tag, and a 200 from one branch confirms only that one', () => {
    const invite = aliceInvite();
    const store = new DialogStore();
    const fromDesk = bobAnswer(180, { toTag: 'desk', contact: '<sip:bob@192.0.2.4>' });
    const fromMobile = bobAnswer(180, { toTag: 'mobile', contact: '<sip:bob@192.0.2.5>' });
    for (const ringing of [fromDesk, fromMobile]) {
      const dialog = createUacDialog(invite, ringing);
      if (!dialog) throw new Error('expected a dialog');
      store.add(dialog);
    }
    expect(store.size).toBe(2);

    const ok = bobAnswer(200, { toTag: 'mobile', contact: '<sip:bob@192.0.2.5>' });
    const id = responseDialogId(ok);
    const mobile = id && store.get(id);
    if (!mobile) throw new Error('the 200 matches no dialog');
    receiveInDialogResponse(mobile, invite, ok);

    const desk = store.get({ ...mobile.id, remoteTag: 'desk' });
    expect(mobile.state).toBe('confirmed');
    expect(desk?.state).toBe('early');
    expect([...store.values()].map((dialog) => dialog.id.remoteTag).sort()).toEqual(['desk', 'mobile']);

    expect(store.delete(mobile.id)).toBe(true);
    expect(store.delete(mobile.id)).toBe(false);
    expect(store.get(mobile.id)).toBeUndefined();
    expect(store.size).toBe(1);
  });

  it('does not confuse dialogs whose tags run together', () => {
    const store = new DialogStore();
    const base = { callId: 'c', localTag: 'ab', remoteTag: 'c' };
    const dialog = createUacDialog(aliceInvite(), bobAnswer(200));
    if (!dialog) throw new Error('expected a dialog');
    store.add({ ...dialog, id: base });
    expect(store.get({ callId: 'c', localTag: 'a', remoteTag: 'bc' })).toBeUndefined();
    expect(store.get(base)).toBeDefined();
  });
});
