//! What a driver hashes ahead of the upload calls: the byte ranges whose MD5 the next calls will
//! ask for, and the chunks whose length is kept because their bytes are already being hashed.

use crate::engine::{Engine, flow_after_start};
use crate::file::{FileState, Flow, PartState};
use crate::options::Mode;
use crate::types::FileId;

impl Engine {
    /// Byte ranges whose MD5 the next upload calls will ask for, in the order they are likely to
    /// go out (at most `n`), so a driver can hash them while earlier parts are on the wire.
    /// Chunk ranges assume the current chunk size; a later shrink makes them a miss, a later
    /// growth too unless the driver reported them with [`Engine::hashing`].
    ///
    /// While `/multipart/start` is in flight, a file's first parts are listed as its flow will
    /// most likely cut them (the server accepting intelligent ingestion where it is asked for),
    /// so that the first part's MD5 is ready when the start answer comes. Where the server
    /// answers otherwise, those ranges are not asked for and their digests are dropped. Not for
    /// a regular upload to the app's own server, whose part 1 goes with start's answer before
    /// its MD5: hashing it then only took CPU from start (at 1 Gbit/s on 2 CPUs, start's answer
    /// came 1–2 ms later and the first PUT left at 10.5 ms instead of 8.0; medians of 5).
    pub fn upcoming(&self, n: usize) -> Vec<(FileId, u64, u64)> {
        let mut out = Vec::new();
        if self.ctx.options.disable_integrity_check {
            return out;
        }
        let chunk = self.ctx.chunks.size();
        for (id, f) in &self.files {
            let planned;
            let parts = match &f.state {
                // A regular upload to the app's own server asks for part 1's PUT with start's
                // answer, and its parts go before their MD5 (`part_etag`): nothing waits for
                // a digest at start, and hashing then only competes with start for the CPU.
                FileState::Starting(_)
                    if f.spec.own_server && self.ctx.options.mode == Mode::Regular =>
                {
                    continue;
                }
                FileState::Starting(_) => {
                    let flow = flow_after_start(self.ctx.options.mode, true, self.ctx.switched);
                    planned = flow.fresh_parts(f.spec.size, self.ctx.options.part_size);
                    &planned
                }
                FileState::Uploading(t) => &t.parts,
                _ => continue,
            };
            for p in parts {
                if out.len() >= n {
                    return out;
                }
                let PartState::Ready { offset, .. } = p.state else {
                    continue;
                };
                if p.chunked && offset == p.upto {
                    continue; // a commit, nothing to hash
                }
                let start = p.plan.start + offset;
                out.push((*id, start, start + p.next_len(offset, chunk)));
            }
        }
        out
    }

    /// The driver started hashing `start..end` of `file`, one of [`Engine::upcoming`]'s ranges.
    /// If it is the next chunk of an intelligent part, that chunk keeps this length when the
    /// chunk size grows before it goes (else the digest would be wasted and the bytes read and
    /// hashed again at the new size); a size that shrinks after a failure still applies. A
    /// regular part being hashed keeps its size when later parts grow (`crate::grow`).
    pub fn hashing(&mut self, file: FileId, start: u64, end: u64) {
        let Some(FileState::Uploading(t)) = self.files.get_mut(&file).map(|f| &mut f.state) else {
            return;
        };
        for p in &mut t.parts {
            if let PartState::Ready { offset, .. } = p.state {
                if p.plan.start + offset == start && (p.chunked || p.plan.end == end) {
                    p.pin = Some((offset, end - start));
                }
            }
        }
    }

    /// Whether `file`'s parts go before their MD5 (a regular upload to a server whose part
    /// ETag is the MD5, `part_etag`): no call then waits for their digests, which serve to check
    /// each PUT's ETag and to list in complete, so the driver may hash them at the upload's own
    /// pace rather than as fast as it can.
    pub fn sent_before_digest(&self, file: FileId) -> bool {
        matches!(
            self.files.get(&file).map(|f| &f.state),
            Some(FileState::Uploading(t)) if t.session.etag_md5 && t.flow == Flow::Regular
        )
    }
}
