//! The options the regular flow's scenarios run with (`regular`, `ahead`).

use crate::sim::MIB;
use skiff_engine::Options;

/// Parts of 5 MiB, everything else as by default.
pub fn opts() -> Options {
    Options {
        part_size: 5 * MIB,
        ..Options::default()
    }
}

/// `opts()` without integrity checks.
pub fn no_md5() -> Options {
    Options {
        disable_integrity_check: true,
        ..opts()
    }
}

/// `opts()` in intelligent ingestion: parts go in chunks.
pub fn chunks() -> Options {
    Options {
        mode: skiff_engine::Mode::Intelligent,
        ..opts()
    }
}
