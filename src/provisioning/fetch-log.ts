/**
 * The last files each phone fetched, over TFTP or HTTP, for `show phones` and `diagnose`: a phone
 * that asks for `SEP<MAC>.cnf.xml`, gets File Not Found and then asks for `SEPDefault.cnf.xml`
 * is a phone missing from the database (R-REG-39). Requests that do not name a phone (firmware,
 * ring lists) count for the phone last seen at the same address, or for the address itself.
 * Memory is bounded: a fixed number of records per subject and of subjects, least recent first out.
 */
import type { RemoteEndpoint } from '../tftp/index.js';
import { deviceOfFileName } from './config-file-name.js';

export interface FetchRecord {
  readonly file: string;
  readonly found: boolean;
  readonly remote: RemoteEndpoint;
  readonly at: Date;
  readonly via: 'tftp' | 'http';
}

export interface FetchLogOptions {
  /** Records kept per phone (default 16). */
  readonly perDevice?: number;
  /** Phones and addresses remembered (default 10,000). */
  readonly maxSubjects?: number;
}

const DEVICE_NAME = /^SEP[0-9A-F]{12}$/i;
/** A logged file name is cut to this length: it is for reading, and names are client input. */
const MAX_LOGGED_NAME = 128;

export class FetchLog {
  private readonly perDevice: number;
  private readonly maxSubjects: number;
  private readonly bySubject = new Map<string, FetchRecord[]>();
  private readonly deviceAtAddress = new Map<string, string>();

  constructor(options: FetchLogOptions = {}) {
    this.perDevice = Math.max(1, options.perDevice ?? 16);
    this.maxSubjects = Math.max(1, options.maxSubjects ?? 10_000);
  }

  record(fetch: FetchRecord): void {
    const file = fetch.file.length > MAX_LOGGED_NAME ? fetch.file.slice(0, MAX_LOGGED_NAME) : fetch.file;
    const named = deviceOfFileName(file);
    if (named !== undefined) touch(this.deviceAtAddress, fetch.remote.address, named, this.maxSubjects);
    const subject = named ?? this.deviceAtAddress.get(fetch.remote.address) ?? fetch.remote.address;
    const records = this.bySubject.get(subject) ?? [];
    records.push(file === fetch.file ? fetch : { ...fetch, file });
    if (records.length > this.perDevice) records.shift();
    touch(this.bySubject, subject, records, this.maxSubjects);
  }

  /** Oldest first. `subject` is a phone name (any case) or, for unattributed fetches, an address. */
  lastFetches(subject: string): readonly FetchRecord[] {
    const key = DEVICE_NAME.test(subject) ? subject.toUpperCase() : subject;
    return [...(this.bySubject.get(key) ?? [])];
  }
}

/** Sets `key` as the most recent entry, evicting the least recent beyond `max`. */
function touch<V>(map: Map<string, V>, key: string, value: V, max: number): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > max) {
    const oldest = map.keys().next();
    if (!oldest.done) map.delete(oldest.value);
  }
}
