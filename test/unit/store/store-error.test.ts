import { describe, expect, it } from 'vitest';
import { describeStoreError } from '../../../src/store/index.js';

/** Drizzle wraps the driver's error in `cause`. */
const wrapped = (error: object) => Object.assign(new Error('Failed query'), { cause: error });

describe('describeStoreError', () => {
  it('explains a missing referenced object', () => {
    const error = wrapped({
      code: '23503',
      constraint: 'devices_device_pool_fk',
      detail: 'Key (device_pool)=(ghost) is not present in table "device_pools".',
    });
    expect(describeStoreError(error)).toBe('phone refers to device pool ghost, which is not defined');
  });

  it('explains an object still in use', () => {
    const error = wrapped({
      code: '23503',
      constraint: 'lines_partition_fk',
      detail: 'Key (name)=(old) is still referenced from table "lines".',
    });
    expect(describeStoreError(error)).toBe('partition old is still used by a line');
  });

  it('explains a duplicate SIP user name', () => {
    const error = wrapped({
      code: '23505',
      constraint: 'devices_sip_username_unique',
      detail: 'Key (sip_username)=(201) already exists.',
    });
    expect(describeStoreError(error)).toBe('SIP username is already used by another phone (201)');
  });

  it('leaves every other error alone', () => {
    expect(describeStoreError(new Error('connection refused'))).toBeUndefined();
    expect(describeStoreError(wrapped({ code: '57P01' }))).toBeUndefined();
    expect(describeStoreError(wrapped({ code: '23503', constraint: 'unknown_fk' }))).toBeUndefined();
    expect(describeStoreError(null)).toBeUndefined();
    const cyclic: { cause?: unknown } = {};
    cyclic.cause = cyclic;
    expect(describeStoreError(cyclic)).toBeUndefined();
  });
});
