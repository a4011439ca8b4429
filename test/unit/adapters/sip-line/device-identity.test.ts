import { describe, expect, it } from 'vitest';
import {
  deviceNameOfMac,
  identifyDevice,
  macOfInstanceId,
  modelMismatch,
  parseUserAgent,
} from '../../../../src/adapters/sip-line/index.js';
import { createRequest } from '../../../../src/sip/index.js';

describe('MAC address from +sip.instance (RFC 5626 §4.1)', () => {
  it("reads Cisco's zero UUID with the MAC in its node field, with or without brackets, any case", () => {
    expect(macOfInstanceId('<urn:uuid:00000000-0000-0000-0000-003094c2d5ca>')).toBe('003094C2D5CA');
    expect(macOfInstanceId('urn:uuid:00000000-0000-0000-0000-0008A37128E9')).toBe('0008A37128E9');
    expect(macOfInstanceId('<URN:UUID:00000000-0000-0000-0000-001B54BA2B3C>')).toBe('001B54BA2B3C');
  });

  it('reads the node of a version-1 UUID unless its multicast bit marks a random node (RFC 4122 §4.5)', () => {
    expect(macOfInstanceId('urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6')).toBe('00A0C91E6BF6');
    expect(macOfInstanceId('urn:uuid:f81d4fae-7dec-11d0-a765-01a0c91e6bf6')).toBeNull();
  });

  it('finds no MAC in a random UUID, another URN, an all-zero node or oversized input', () => {
    expect(macOfInstanceId('<urn:uuid:2f1e7a4c-9b3d-4e8f-a1b2-c3d4e5f6a7b8>')).toBeNull();
    expect(macOfInstanceId('<urn:gsma:imei:35209900-176148-1>')).toBeNull();
    expect(macOfInstanceId('urn:uuid:00000000-0000-0000-0000-000000000000')).toBeNull();
    expect(macOfInstanceId(`urn:uuid:00000000-0000-0000-0000-003094C2D5CA${' '.repeat(300)}`)).toBeNull();
    expect(macOfInstanceId('')).toBeNull();
  });

  it('names the device SEP<MAC> (R-REG-03)', () => {
    expect(deviceNameOfMac('003094c2d5ca')).toBe('SEP003094C2D5CA');
    expect(deviceNameOfMac('0030.94C2.D5CA')).toBeNull();
  });
});

describe('model and load from the User-Agent of Cisco CallManager SIP firmware', () => {
  it.each([
    ['Cisco-CP7960G/8.0', '7960G', '8.0'],
    ['Cisco-CP7940G/8.12.00', '7940G', '8.12.00'],
    ['Cisco-CP8945/9.4.2', '8945', '9.4.2'],
    ['Cisco-CP7975G/9.4.2', '7975G', '9.4.2'],
    ['Cisco-CP7961G-GE/8.5.4', '7961G-GE', '8.5.4'],
    ['Cisco-CP8865/12.8.1 (SR1)', '8865', '12.8.1'],
  ])('%s', (userAgent, model, load) => {
    expect(parseUserAgent(userAgent)).toEqual({ model, load });
  });

  it('knows no model of other user agents', () => {
    for (const userAgent of ['Cisco/SPA504G-7.6.2', 'Cisco-CP-7841-3PCC/11.0', 'Linphone/5.2', 'sipp', ''])
      expect(parseUserAgent(userAgent)).toEqual({ model: null, load: null });
    expect(parseUserAgent(`Cisco-CP7960G/${'9'.repeat(400)}`)).toEqual({ model: null, load: null });
  });
});

describe('version error: configured model against the device (R-REG-24, R-REG-25)', () => {
  it('accepts the same phone however the model is spelt', () => {
    expect(modelMismatch('Cisco 7960', '7960G')).toBe(false);
    expect(modelMismatch('CP-7960G', '7960G')).toBe(false);
    expect(modelMismatch('7961', '7961G')).toBe(false);
  });

  it('refuses another model, and a 7961G configured as 7961G-GE', () => {
    expect(modelMismatch('Cisco 7940', '7960G')).toBe(true);
    expect(modelMismatch('Cisco 7961G-GE', '7961G')).toBe(true);
  });

  it('cannot compare a generic model or a device that does not say', () => {
    expect(modelMismatch('SIP phone', '7960G')).toBe(false);
    expect(modelMismatch('Cisco 7960', null)).toBe(false);
  });
});

describe('identifyDevice', () => {
  const request = (headers: [string, string][]) =>
    createRequest({
      method: 'REGISTER',
      uri: 'sip:192.0.2.1',
      from: '<sip:201@192.0.2.1>;tag=a',
      to: '<sip:201@192.0.2.1>',
      callId: 'c',
      cseq: 1,
      headers,
    });

  it('joins instance id and User-Agent', () => {
    expect(
      identifyDevice(
        request([['User-Agent', 'Cisco-CP7960G/8.0']]),
        '<urn:uuid:00000000-0000-0000-0000-003094C2D5CA>',
      ),
    ).toEqual({
      deviceName: 'SEP003094C2D5CA',
      mac: '003094C2D5CA',
      instanceId: '<urn:uuid:00000000-0000-0000-0000-003094C2D5CA>',
      model: '7960G',
      load: '8.0',
      userAgent: 'Cisco-CP7960G/8.0',
    });
  });

  it('knows nothing of a bare REGISTER', () => {
    expect(identifyDevice(request([]), null)).toEqual({
      deviceName: null,
      mac: null,
      instanceId: null,
      model: null,
      load: null,
      userAgent: null,
    });
  });
});
