//! Sizes and counts shared by clients and server (docs/protocol.md §11).

/// Smallest regular part, except the last one of a file (S3's rule, kept by Filestack).
pub const MIN_PART_SIZE: u64 = 5 * 1024 * 1024;
/// filestack-js's default regular part size.
pub const DEFAULT_PART_SIZE: u64 = 6 * 1024 * 1024;
/// Part size of intelligent ingestion.
pub const INTELLIGENT_PART_SIZE: u64 = 8 * 1024 * 1024;
/// Smallest chunk an intelligent upload shrinks to before it gives up.
pub const MIN_CHUNK_SIZE: u64 = 32 * 1024;
/// Most parts one upload may have.
pub const MAX_PARTS: u32 = 10_000;
/// Largest single part or chunk the server accepts in one PUT.
pub const MAX_PART_SIZE: u64 = 5 * 1024 * 1024 * 1024;
/// Most upload tags on one file.
pub const MAX_TAGS: usize = 10;
/// Longest tag key, in Unicode scalar values.
pub const MAX_TAG_KEY_CHARS: usize = 128;
/// Longest tag value, in Unicode scalar values.
pub const MAX_TAG_VALUE_CHARS: usize = 256;
/// Longest file name the server keeps, in bytes.
pub const MAX_FILENAME_BYTES: usize = 255;
