export {
  canCreateUasDialog,
  createInDialogRequest,
  createUacDialog,
  createUasDialog,
  type Dialog,
  type DialogId,
  type DialogRole,
  type DialogState,
  dialogKey,
  type InDialogRequestOptions,
  type InDialogVerdict,
  incomingDialogId,
  nextLocalSeq,
  receiveInDialogRequest,
  receiveInDialogResponse,
  responseDialogId,
} from './dialog.js';
export { DialogStore } from './dialog-store.js';
