//! What this instance has stored of uploads since it started: how many parts and intelligent
//! chunks, and their bytes, for `GET /metrics`. Counted once a part or chunk is stored and
//! recorded, so a PUT cut short counts nothing: over a run, these say how many bytes clients
//! had to send (a resumed upload sends only what was missing).

use std::sync::atomic::{AtomicU64, Ordering};

/// What a stored upload piece was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A regular part, whole.
    Part,
    /// A chunk of an intelligent part.
    Chunk,
}

/// Counters of one instance (atomics: every request handler adds to them).
#[derive(Debug, Default)]
pub struct Received {
    parts: AtomicU64,
    part_bytes: AtomicU64,
    chunks: AtomicU64,
    chunk_bytes: AtomicU64,
}

/// The counters' values at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReceivedCounts {
    /// Regular parts stored.
    pub parts: u64,
    /// Their bytes.
    pub part_bytes: u64,
    /// Intelligent chunks stored.
    pub chunks: u64,
    /// Their bytes.
    pub chunk_bytes: u64,
}

impl Received {
    /// One piece of `kind` and `bytes` stored.
    pub fn add(&self, kind: Kind, bytes: u64) {
        let (count, total) = match kind {
            Kind::Part => (&self.parts, &self.part_bytes),
            Kind::Chunk => (&self.chunks, &self.chunk_bytes),
        };
        // Relaxed: each counter stands alone; a reader may see a count and its bytes a
        // moment apart, which a scrape tolerates.
        count.fetch_add(1, Ordering::Relaxed);
        total.fetch_add(bytes, Ordering::Relaxed);
    }

    /// The values now.
    pub fn counts(&self) -> ReceivedCounts {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        ReceivedCounts {
            parts: get(&self.parts),
            part_bytes: get(&self.part_bytes),
            chunks: get(&self.chunks),
            chunk_bytes: get(&self.chunk_bytes),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_parts_and_chunks_apart() {
        let r = Received::default();
        r.add(Kind::Part, 10);
        r.add(Kind::Chunk, 3);
        r.add(Kind::Chunk, 4);
        assert_eq!(
            r.counts(),
            ReceivedCounts {
                parts: 1,
                part_bytes: 10,
                chunks: 2,
                chunk_bytes: 7
            }
        );
    }
}
