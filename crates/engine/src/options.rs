//! Upload options (docs/protocol.md §8.4), with filestack-js's defaults and ranges.

use crate::types::Millis;
use skiff_protocol::limits::{DEFAULT_PART_SIZE, MIN_CHUNK_SIZE, MIN_PART_SIZE};

/// The first chunk of intelligent parts when the app names none: a quarter of a part, where
/// filestack-js starts at the whole 8 MiB. Nothing is known of the link yet, and a chunk too big
/// for it costs the most: a browser sends a request again, unseen, when a reused keep-alive
/// connection breaks under it, so a chunk cut before it ends is seen to fail only after a second
/// connection's life. 2 MiB chunks also split the first parts into lanes at once (the browser's
/// six connections instead of three), and on a clean link they grow back to whole parts within
/// a few chunks (the chunks already hashed keep their size, see `Engine::hashing`).
const FIRST_CHUNK_SIZE: u64 = 2 * 1024 * 1024;

/// How parts travel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// Regular multipart: one PUT per part.
    #[default]
    Regular,
    /// Intelligent ingestion: 8 MiB parts sent as adaptive chunks, then committed.
    Intelligent,
    /// Regular first; the first failed part PUT switches every file to intelligent ingestion.
    Fallback,
}

/// A refused option, named.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid upload option `{option}`: {reason}")]
pub struct OptionError {
    /// The option's name as apps spell it.
    pub option: &'static str,
    /// What is wrong.
    pub reason: String,
}

/// Everything that tunes an upload.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// Regular part size (≥ 5 MiB; grows for files of more than 10 000 parts).
    pub part_size: u64,
    /// Regular parts may grow once the link has shown itself fast (`growParts`; off by default,
    /// see `crate::grow` for why; the picker turns it on for files from the device).
    pub grow_parts: bool,
    /// Parts in flight at once, across all files (1–20).
    pub concurrency: usize,
    /// One more regular part may go on the wire once the link has shown itself fast (see
    /// `crate::widen`). On by default; off where the app set `concurrency` itself.
    pub widen: bool,
    /// Files in flight at once.
    pub file_concurrency: usize,
    /// Regular, intelligent or fallback.
    pub mode: Mode,
    /// First chunk size of intelligent parts (≥ 32 KiB).
    pub intelligent_chunk_size: u64,
    /// Smallest chunk; a chunk failing at this size fails the file.
    pub min_chunk_size: u64,
    /// A chunk should take about this long; faster ones grow the chunk, slower ones shrink it.
    pub chunk_target_ms: Millis,
    /// Retries of one request before the file fails (0–20).
    pub retry: u32,
    /// Backoff base: the n-th retry waits `retry_factor^n` seconds (with jitter)…
    pub retry_factor: f64,
    /// …but never longer than this.
    pub retry_max_ms: Millis,
    /// Timeout of one request.
    pub timeout_ms: Millis,
    /// How often complete is re-sent while the server answers 202.
    pub complete_poll_ms: Millis,
    /// Do not send MD5s.
    pub disable_integrity_check: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            part_size: DEFAULT_PART_SIZE,
            grow_parts: false,
            concurrency: 3,
            widen: true,
            file_concurrency: 4,
            mode: Mode::Regular,
            intelligent_chunk_size: FIRST_CHUNK_SIZE,
            min_chunk_size: MIN_CHUNK_SIZE,
            chunk_target_ms: 8_000,
            retry: 10,
            retry_factor: 2.0,
            retry_max_ms: 15_000,
            timeout_ms: 120_000,
            complete_poll_ms: 1_000,
            disable_integrity_check: false,
        }
    }
}

fn err(option: &'static str, reason: impl Into<String>) -> OptionError {
    OptionError {
        option,
        reason: reason.into(),
    }
}

impl Options {
    /// Checks ranges the way filestack-js's schema does, naming the first bad option.
    pub fn validate(&self) -> Result<(), OptionError> {
        if self.part_size < MIN_PART_SIZE {
            return Err(err(
                "partSize",
                format!(
                    "must be at least {MIN_PART_SIZE} bytes (5 MiB), got {}",
                    self.part_size
                ),
            ));
        }
        if !(1..=20).contains(&self.concurrency) {
            return Err(err(
                "concurrency",
                format!("must be 1 to 20, got {}", self.concurrency),
            ));
        }
        if !(1..=20).contains(&self.file_concurrency) {
            return Err(err(
                "concurrency",
                format!(
                    "files at once must be 1 to 20, got {}",
                    self.file_concurrency
                ),
            ));
        }
        if self.intelligent_chunk_size < self.min_chunk_size.max(MIN_CHUNK_SIZE) {
            return Err(err(
                "intelligentChunkSize",
                format!("must be at least {MIN_CHUNK_SIZE} bytes (32 KiB)"),
            ));
        }
        if self.retry > 20 {
            return Err(err("retry", format!("must be 0 to 20, got {}", self.retry)));
        }
        if !(self.retry_factor >= 1.0 && self.retry_factor.is_finite()) {
            return Err(err("retryFactor", "must be a number ≥ 1"));
        }
        if !(1..=3_600_000).contains(&self.timeout_ms) {
            return Err(err(
                "timeout",
                format!("must be 1 to 3600000 ms, got {}", self.timeout_ms),
            ));
        }
        if self.chunk_target_ms == 0 {
            return Err(err("chunkTargetTime", "must be positive"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_bad_options_are_named() {
        assert_eq!(Options::default().validate(), Ok(()));
        let bad = [
            (
                Options {
                    part_size: 1024,
                    ..Options::default()
                },
                "partSize",
            ),
            (
                Options {
                    concurrency: 0,
                    ..Options::default()
                },
                "concurrency",
            ),
            (
                Options {
                    concurrency: 21,
                    ..Options::default()
                },
                "concurrency",
            ),
            (
                Options {
                    intelligent_chunk_size: 1000,
                    ..Options::default()
                },
                "intelligentChunkSize",
            ),
            (
                Options {
                    retry: 21,
                    ..Options::default()
                },
                "retry",
            ),
            (
                Options {
                    retry_factor: 0.5,
                    ..Options::default()
                },
                "retryFactor",
            ),
            (
                Options {
                    timeout_ms: 0,
                    ..Options::default()
                },
                "timeout",
            ),
        ];
        for (opts, name) in bad {
            let e = opts.validate().unwrap_err();
            assert_eq!(e.option, name);
            assert!(e.to_string().contains(name));
        }
    }
}
