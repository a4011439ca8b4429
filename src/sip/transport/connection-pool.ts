/**
 * Open stream connections, indexed by id and by remote transport address so that responses
 * and new requests reuse them (RFC 3261 §18.1, §18.2.2), bounded in number.
 */
import { endpointKey } from './address.js';
import type { StreamConnection } from './connection.js';
import type { Endpoint } from './types.js';

export class ConnectionPool {
  private readonly byId = new Map<string, StreamConnection>();
  private readonly byRemote = new Map<string, StreamConnection>();

  constructor(readonly capacity: number) {}

  get size(): number {
    return this.byId.size;
  }

  get full(): boolean {
    return this.byId.size >= this.capacity;
  }

  add(connection: StreamConnection): void {
    this.byId.set(connection.id, connection);
    // The newest connection to an address wins: it is the one the peer is using now.
    this.byRemote.set(endpointKey(connection.remote), connection);
  }

  remove(connection: StreamConnection): void {
    this.byId.delete(connection.id);
    const key = endpointKey(connection.remote);
    if (this.byRemote.get(key) === connection) this.byRemote.delete(key);
  }

  /** An open connection by id. */
  get(id: string): StreamConnection | undefined {
    const connection = this.byId.get(id);
    return connection?.open ? connection : undefined;
  }

  /** An open connection to this transport address. */
  to(remote: Endpoint): StreamConnection | undefined {
    const connection = this.byRemote.get(endpointKey(remote));
    return connection?.open ? connection : undefined;
  }

  all(): IterableIterator<StreamConnection> {
    return this.byId.values();
  }
}
