/** One stream of everything that happens on the node (calls, registrations), for the API. */
import type { EventSource, ServerEvent } from '../api/index.js';

type Listener = (event: ServerEvent) => void;

export class EventHub implements EventSource {
  private readonly listeners = new Set<Listener>();

  on(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  emit(event: ServerEvent): void {
    for (const listener of this.listeners) listener(event);
  }
}
