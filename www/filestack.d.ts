// Types of skiff-picker/filestack (www/filestack.js): Skiff's picker as filestack-js's picker module.
import type { PickerInstance, PickerOptions } from './index.js';

export interface RegisterSettings {
  /** Send every call to one skiff-server instead of the filestack-js client's session URLs. */
  baseUrl?: string;
}

/** The key of filestack-js's loader module table. */
export const FILESTACK_PICKER_MODULE: 'fs-loader-picker';

/** Registers Skiff's picker, so `filestack.init(key).picker(opts).open()` opens it. Returns an undo. */
export function registerWithFilestack(settings?: RegisterSettings): () => void;

/** Skiff's picker for a filestack-js client (what the registered constructor returns). */
export function createFilestackPicker(
  fsClient: { session: { apikey: string; urls?: Record<string, string>; policy?: string; signature?: string } },
  pickerOptions?: PickerOptions,
  settings?: RegisterSettings,
): PickerInstance;

/** Skiff client options from a filestack-js client's session. */
export function clientOptionsFromFilestack(
  fsClient: object,
  settings?: RegisterSettings,
): { urls?: Record<string, string>; baseUrl?: string; security?: { policy: string; signature: string } };

/** Installs a picker constructor in filestack-js's module table. Returns an undo. */
export function installPickerModule(Picker: new (client: any, options?: any) => PickerInstance, metadata?: unknown): () => void;
