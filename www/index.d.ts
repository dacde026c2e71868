// Types of skiff-picker's entry module (copied to dist/index.d.ts by scripts/build-wasm.sh).
// Keep in sync with www/index.js.

/** Where the WebAssembly module can come from. */
export type InitSource = RequestInfo | URL | Response | BufferSource | WebAssembly.Module;

/** Loads the WebAssembly module now instead of on first use. Optional. */
export function loadWasm(source?: InitSource | Promise<InitSource>): Promise<void>;

/** Loads the picker's build of the module (skiff_picker_bg.wasm) now, so the first `open()` is fast. */
export function loadPicker(source?: InitSource | Promise<InitSource>): Promise<void>;

/** Base64 of the raw MD5 digest of `data` (the protocol's part checksum). */
export function md5_base64(data: ArrayBuffer | ArrayBufferView): Promise<string>;

/** Version of the WebAssembly module. */
export function version(): Promise<string>;

/** Where each API lives (filestack-js's `config.urls` keys). */
/**
 * An `Error` from a failed upload or call: the message names the request, the HTTP status and the
 * server's reason; `code` is the server's stable error code (`url_not_allowed`, `md5_mismatch`, …;
 * absent when there was none, as after a dropped connection) and `status` the HTTP status (absent
 * when no answer came).
 */
export interface UploadError extends Error {
  code?: string;
  status?: number;
}

export interface Urls {
  uploadApiUrl?: string;
  fileApiUrl?: string;
  processUrl?: string;
  cdnUrl?: string;
  cloudApiUrl?: string;
  pickerUrl?: string;
}

/** Policy and signature for apps with a secret. */
export interface Security {
  policy: string;
  signature: string;
}

export interface ClientOptions {
  /** Points every API at one self-hosted skiff-server, e.g. `https://uploads.example.com`. */
  baseUrl?: string;
  /** Sets the APIs one by one; wins over `baseUrl`. Default: Filestack's hosted APIs. */
  urls?: Urls;
  /** Security sent with every call that needs it. */
  security?: Security;
  /** filestack-js's custom domain: replaces `filestackapi.com` / `filestackcontent.com`. */
  cname?: string;
  /** Keep the picker's cloud session in `localStorage` (`__fs_picker_token`), across reloads. */
  sessionCache?: boolean;
  /** Accepted for compatibility; no effect. */
  forceSentryInit?: boolean;
}

export interface ProgressEvent {
  /** Percent of all files, 0–100 (never decreases). */
  totalPercent: number;
  /** Bytes of all files sent (never decreases). */
  totalBytes: number;
  /** Size of all files. */
  totalSize: number;
  /** Recent speed, bytes per second. */
  speed: number;
  /** Estimated time left, ms (null until the speed is known). */
  eta: number | null;
  /** Per file, by name. */
  files: { [filename: string]: { totalPercent: number; totalBytes: number } };
}

export interface RetryEvent {
  filename: string;
  /** Which request failed, e.g. `PUT of part 3 at offset 4194304`. */
  request: string;
  /** Failures of that request so far. */
  attempt: number;
  /** Wait before the next try, ms. */
  delay: number;
  /**
   * What went wrong, e.g. `network error: Failed to fetch`, `no answer within 120000 ms`, the
   * server's answer to a 5xx/408/429, or `the file could not be read: …` (a part that could not be
   * read for its MD5; a file that stays unreadable fails once the retries run out).
   */
  reason: string;
  /** Chunk size of the next try (intelligent uploads), bytes. */
  chunkSize: number | null;
}

export interface UploadOptions {
  /** Regular part size, bytes (≥ 5 MiB; default 6 MiB). */
  partSize?: number;
  /** Skiff: regular parts grow once the first PUTs show a fast link (up to 64 MiB). Default: false for `client.upload`; in the picker, true for the files the user picks, drops or pastes and false for the files the app hands to `crop(files)`. Only for files on disk: in Chromium, uploads of large Blobs held in memory in parts over 8 MiB broke the next such upload (in private and normal windows alike). */
  growParts?: boolean;
  /** Parts in flight at once (1–20). Default: 3, and 4 once the first three PUTs show a fast link (each within half a second); a number set here is kept as it is. */
  concurrency?: number;
  /** Intelligent ingestion: adaptive chunks (true), or regular with a switch on the first failed part ('fallback'). */
  intelligent?: boolean | 'fallback';
  /** First chunk size of intelligent uploads, bytes (≥ 32 KiB; default 2 MiB). */
  intelligentChunkSize?: number;
  /** How long a chunk should take: faster chunks grow, slower ones shrink (ms; default 8000). */
  chunkTargetTime?: number;
  /** Retries of one request (0–20; default 10). */
  retry?: number;
  /** Backoff base (default 2: 1 s, 2 s, 4 s, …). */
  retryFactor?: number;
  /** Longest backoff, ms (default 15000). */
  retryMaxTime?: number;
  /** Timeout of one request, ms (default 120000). */
  timeout?: number;
  /** Called at the start and at most every `progressInterval` ms. */
  onProgress?: (event: ProgressEvent) => void;
  /** Default 1000 ms. */
  progressInterval?: number;
  /** Called on every retry (filestack-js accepts but never calls it). */
  onRetry?: (event: RetryEvent) => void;
  /** Upload tags: at most 10, keys ≤ 128 and values ≤ 256 characters. */
  tags?: { [key: string]: string };
  /** Do not send MD5 checksums. */
  disableIntegrityCheck?: boolean;
  /**
   * Skiff: keep each unfinished upload in IndexedDB so that the same file, given again after a
   * reload, carries on where it stopped (default true). A regular upload of a file no bigger
   * than one part is not kept: a reload would send its one part again anyway.
   */
  resume?: boolean;
}

export interface StoreOptions {
  /** A name, or a function of each file that returns one. */
  filename?: string | ((file: Blob) => string);
  mimetype?: string;
  altText?: string;
  location?: 's3' | 'S3' | 'gcs' | 'azure' | 'rackspace' | 'dropbox';
  path?: string;
  container?: string;
  region?: string;
  access?: 'public' | 'private';
  workflows?: (string | { id: string })[];
  base64decode?: boolean;
  disableStorageKey?: boolean;
  sanitizer?: boolean | { exclude?: string[]; replacement?: string };
}

/** A stored file. */
export interface UploadResult {
  handle: string;
  url: string;
  filename: string;
  size: number;
  mimetype: string;
  status: 'Stored' | 'InTransit';
  key: string | null;
  container: string | null;
  uploadTags: { [key: string]: string };
}

/** A file of a multiupload that failed. */
export interface FailedUpload {
  status: 'Failed';
  filename: string;
  error: string;
  code: string | null;
}

/** Filled in by `upload` so the app can control it. */
export interface UploadToken {
  pause?: () => void;
  resume?: () => void;
  cancel?: () => void;
}

export interface Client {
  upload(file: Blob, uploadOptions?: UploadOptions, storeOptions?: StoreOptions, token?: UploadToken, security?: Security): Promise<UploadResult>;
  multiupload(files: Iterable<Blob>, uploadOptions?: UploadOptions, storeOptions?: StoreOptions, token?: UploadToken, security?: Security): Promise<(UploadResult | FailedUpload)[]>;
  storeURL(url: string, storeOptions?: StoreOptions, token?: UploadToken, security?: Security, uploadTags?: { [key: string]: string }): Promise<UploadResult & { type: string }>;
  metadata(handle: string, options?: { [field: string]: boolean }, security?: Security): Promise<{ handle: string; [field: string]: unknown }>;
  remove(handle: string, security?: Security): Promise<unknown>;
  /** Forgets every unfinished upload kept for resuming after a reload. */
  clearResumableUploads(): Promise<void>;
  /** A picker (filestack-js's `client.picker(options)`). */
  picker(options?: PickerOptions): PickerInstance;
}

/** The 20 picker languages. */
export type PickerLang = 'ca' | 'da' | 'de' | 'en' | 'es' | 'fr' | 'he' | 'it' | 'ja' | 'ko' | 'nl' | 'no' | 'pl' | 'pt' | 'sv' | 'ru' | 'vi' | 'zh' | 'tr' | 'ar';

/** A file as the picker's callbacks and results show it (filestack-js's, plus `uploadTags`). */
export interface PickerFileMetadata {
  filename: string;
  mimetype: string;
  size: number;
  source: PickerSource;
  uploadId: string;
  originalPath: string;
  /** `{name, type, size}`; the real `File` while `acceptFn` / `onFileSelected` check it. */
  originalFile: { name: string; type: string; size: number } | File;
  status: 'Stored' | 'InTransit';
  handle?: string;
  url?: string;
  key?: string;
  container?: string;
  /** The tags the server stored with the file. */
  uploadTags?: { [key: string]: string };
}

export interface PickerResponse {
  filesUploaded: PickerFileMetadata[];
  filesFailed: PickerFileMetadata[];
}

/** The picker's upload options: tag values may be functions of the file, called per file. */
export interface PickerUploadConfig extends Omit<UploadOptions, 'tags' | 'onProgress' | 'onRetry'> {
  tags?: { [key: string]: string | ((file: PickerFileMetadata) => string) };
}

export interface DropPaneOptions {
  customText?: string;
  disableClick?: boolean;
  /** Dropping anywhere on the page drops into the pane. */
  overlay?: boolean;
  showIcon?: boolean;
  showProgress?: boolean;
  onDragEnter?: (evt: DragEvent) => void;
  onDragLeave?: () => void;
  onDragOver?: (evt: DragEvent) => void;
  onDrop?: (evt: DragEvent) => void;
  onClick?: (evt: MouseEvent) => void;
  /** Instead of `onUploadDone`: the stored files of each drop. */
  onSuccess?: (files: PickerFileMetadata[]) => void;
  onError?: (files: PickerFileMetadata[]) => void;
  onProgress?: (percent: number) => void;
}

/** Where files come from: the device, a link, or a cloud source the server offers. */
export type PickerSource =
  | 'local_file_system' | 'url' | 'googledrive' | 'googlephotos' | 'dropbox' | 'box' | 'onedrive'
  | 'onedriveforbusiness' | 'github' | 'unsplash' | 'imagesearch' | 'webdav' | 'customsource';

/** filestack-js's picker options that Skiff supports (others are refused by name on `open()`). */
export interface PickerOptions {
  displayMode?: 'overlay' | 'inline' | 'dropPane';
  /** Mount point for `inline` and `dropPane`: a selector, an id or an element. */
  container?: string | Element;
  /** Tabs, in order (default: the device and links). */
  fromSources?: PickerSource[];
  /** The `customsource` tab's name. */
  customSourceName?: string;
  /** A folder of the `customsource` bucket shown as its root (`folder/`). */
  customSourcePath?: string;
  /** The `customsource` bucket (checked by the server). */
  customSourceContainer?: string;
  /** `.ext`, `type/subtype` or `type/*`. */
  accept?: string | string[];
  /** Resolve to accept the file, reject (or throw) to refuse it with that reason. */
  acceptFn?: (file: PickerFileMetadata, options: { accept: string[]; acceptMime: string[]; mimeFromExtension: (name: string) => string; mimeFromMagicBytes: (file: Blob) => Promise<string> }) => Promise<unknown> | unknown;
  maxFiles?: number;
  minFiles?: number;
  /** Bytes. */
  maxSize?: number;
  /** Files uploaded at once (1–20, default 4). */
  concurrency?: number;
  startUploadingWhenMaxFilesReached?: boolean;
  /** Upload each file as soon as it is picked (default false: the user presses Upload). */
  uploadInBackground?: boolean;
  /**
   * Accepted for filestack-js compatibility; changes nothing. Skiff's picker never hides a failure:
   * the overlay stays open and every failed file has Retry and Remove.
   */
  allowManualRetry?: boolean;
  disableThumbnails?: boolean;
  disableDirectoryUpload?: boolean;
  globalDropZone?: boolean;
  pasteMode?: { pasteToFirstInViewPort?: boolean; pasteToFirstInstance?: boolean };
  lang?: PickerLang;
  /** Overrides of the picker's English strings, keyed by the English string. */
  customText?: { [english: string]: string };
  /** Shown when an upload fails. */
  supportEmail?: string;
  /** Accepted for compatibility; Skiff keeps each refusal or failure next to its file instead. */
  errorsTimeout?: number;
  storeTo?: Omit<StoreOptions, 'filename' | 'sanitizer' | 'mimetype' | 'altText'> & { filename?: string };
  uploadConfig?: PickerUploadConfig;
  dropPane?: DropPaneOptions;
  onOpen?: (picker: PickerInstance) => void;
  onClose?: () => void;
  onCancel?: (response: PickerResponse) => void;
  /** Throw or reject to refuse the file (the reason is shown); return `{...file, name}` to rename it. */
  onFileSelected?: (file: PickerFileMetadata) => void | PickerFileMetadata | { name: string } | Promise<void | PickerFileMetadata | { name: string }>;
  onUploadStarted?: (files: PickerFileMetadata[]) => void;
  onFileUploadStarted?: (file: PickerFileMetadata, token?: { pause(): void; resume(): void; cancel(): void }) => void;
  onFileUploadProgress?: (file: PickerFileMetadata, progress: { totalPercent: number; totalBytes: number }) => void;
  onFileUploadFinished?: (file: PickerFileMetadata) => void;
  /** The error's message keeps the technical detail; the picker's row shows a short sentence. */
  onFileUploadFailed?: (file: PickerFileMetadata, error: UploadError) => void;
  onFileUploadCancel?: (file: PickerFileMetadata) => void;
  onUploadDone?: (response: PickerResponse) => void;
  /** Accepted for filestack-js compatibility; Skiff sends nothing to Sentry. */
  useSentryBreadcrumbs?: boolean;
  /** Store files at `<storeTo.path>/<filename>`, without the random key prefix. */
  disableStorageKey?: boolean;
  /** Only `true` (Skiff has no image editor yet). */
  disableTransformer?: true;
  /** Only `true` (Skiff has no alt-text field yet). */
  disableAltText?: true;
}

export interface PickerInstance {
  /** Shows the picker; resolves once it is on the page and focused. Rejects naming a bad option. */
  open(): Promise<void>;
  /** Removes it from the page (uploads still running are stopped). */
  close(): Promise<void>;
  /** Cancels every upload (`onCancel`), then closes. */
  cancel(): Promise<void>;
  /** Opens the picker with these files already selected (no crop editor yet). */
  crop(files: Blob[]): Promise<void>;
}

/** A client of one app; nothing loads until its first call. Throws on a bad option. */
export function init(apikey: string, clientOptions?: ClientOptions): Client;
