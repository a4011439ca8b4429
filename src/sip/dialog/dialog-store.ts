import { type Dialog, type DialogId, dialogKey } from './dialog.js';

/**
 * The dialogs a UA holds, by (Call-ID, local tag, remote tag). One INVITE may create several
 * early dialogs when a proxy forks it (RFC 3261 §12.1.2, §13.2.2.4): each has its own remote tag.
 */
export class DialogStore {
  private readonly dialogs = new Map<string, Dialog>();

  add(dialog: Dialog): void {
    this.dialogs.set(dialogKey(dialog.id), dialog);
  }

  get(id: DialogId): Dialog | undefined {
    return this.dialogs.get(dialogKey(id));
  }

  delete(id: DialogId): boolean {
    return this.dialogs.delete(dialogKey(id));
  }

  get size(): number {
    return this.dialogs.size;
  }

  values(): IterableIterator<Dialog> {
    return this.dialogs.values();
  }
}
