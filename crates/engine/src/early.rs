//! Complete sent ahead (`await_parts`, a Skiff extension, docs/protocol.md §3.5). Once every
//! part of a regular upload is on the wire, complete goes too, and a server that said so at
//! start answers it as soon as it holds them all: the file is stored right after the last part
//! lands, instead of after that PUT's answer has reached the page and complete has made a round
//! trip of its own.
//!
//! Complete lists the ETag it expects of each part: the one a done part's PUT answered with,
//! and for a part still on the wire the MD5 the driver hashed ([`Engine::digest`]), which is
//! what the server's ETag is (`part_etag`). The server checks the list against what it holds,
//! so a part that arrived altered fails this complete instead of being stored. Without the
//! integrity check there is nothing to list: the server takes the parts it holds once they add
//! up to the file.
//!
//! In intelligent ingestion complete goes with the last commits, listing nothing (as it always
//! does there), and the server holds it until the committed parts add up to the file.
//!
//! If it fails (an altered part, a PUT that must go again, no answer in time), nothing is lost:
//! the parts go on, and complete goes as usual once every part is done.

use crate::engine::{Ctx, Engine};
use crate::file::{FileState, FileUpload, Flow, Part, PartState, Transfer};
use crate::options::Mode;
use crate::types::{FileId, RequestId};

/// Where an upload's complete sent ahead stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Early {
    /// Not sent (yet).
    #[default]
    Unsent,
    /// On the wire.
    Sent(RequestId),
    /// It failed, or a pause aborted it: complete goes as usual.
    Refused,
}

impl Early {
    pub(crate) fn request(self) -> Option<RequestId> {
        match self {
            Early::Sent(id) => Some(id),
            _ => None,
        }
    }
}

impl Engine {
    /// The driver hashed bytes `start..end` of `file`: `md5` is their MD5 in base64, as upload
    /// calls carry it. Kept for a whole part's range, so that complete can list the part's ETag
    /// before its PUT is answered; this may be what lets complete go now.
    pub fn digest(&mut self, file: FileId, start: u64, end: u64, md5: &str) {
        // Intelligent chunks are never listed; nor anything for a server that did not offer it.
        if self.ctx.options.mode != Mode::Regular {
            return;
        }
        let Some(f) = self.files.get_mut(&file) else {
            return;
        };
        if matches!(&f.state, FileState::Uploading(t) if !t.session.await_parts) {
            return;
        }
        let Some(hex) = hex_md5(md5) else {
            return;
        };
        if !f.digests.iter().any(|d| (d.0, d.1) == (start, end)) {
            f.digests.push((start, end, hex));
        }
        self.schedule();
    }
}

/// Sends complete ahead for `f` if the time has come: see [`listing`].
pub(crate) fn send(ctx: &mut Ctx, id: FileId, f: &mut FileUpload) {
    let FileUpload {
        spec,
        state,
        digests,
        ..
    } = f;
    let FileState::Uploading(t) = state else {
        return;
    };
    // Held by the server until the last parts land, it keeps a connection busy that long: it
    // goes only where one is free within this engine's share of the browser's six, so that it
    // never holds up a PUT (or another file's) in the browser's queue. If none frees up before
    // the last part is done, complete goes as usual.
    if ctx.inflight.len() >= ctx.connections {
        return;
    }
    let integrity = !ctx.options.disable_integrity_check;
    let Some(list) = listing(t, digests, integrity) else {
        return;
    };
    let req = crate::schedule::complete(ctx, id, spec, t, &list, true);
    t.early = Early::Sent(req);
}

/// What complete sent now would list: `None` while it may not go (a server that did not offer
/// it, intelligent parts, already sent, a part not on the wire yet, a digest not in), or once
/// every part is done (complete then goes as usual). With `integrity`, every part's ETag; else
/// none.
fn listing(
    t: &Transfer,
    digests: &[(u64, u64, String)],
    integrity: bool,
) -> Option<Vec<(u32, String)>> {
    let s = &t.session;
    if !s.await_parts || t.early != Early::Unsent {
        return None;
    }
    match t.flow {
        Flow::Regular if integrity && !s.etag_md5 => return None,
        Flow::Regular => {}
        // Every chunk in and every part's commit on the wire (or done): complete lists
        // nothing, and the server takes the committed parts once they add up to the file.
        Flow::Intelligent => {
            let committing = |p: &Part| matches!(p.state, PartState::Committing { .. });
            let done = |p: &Part| matches!(p.state, PartState::Done { .. });
            let ready = t.parts.iter().all(|p| committing(p) || done(p));
            return (ready && t.parts.iter().any(committing)).then(Vec::new);
        }
        // Regular parts until the switch to chunks: left as it is.
        Flow::Fallback => return None,
    }
    let mut list = Vec::new();
    let mut on_wire = false;
    for p in &t.parts {
        let etag = match &p.state {
            PartState::Done { etag } => etag.clone(),
            PartState::Putting { .. } if !p.unchecked => {
                on_wire = true;
                let (a, b) = (p.plan.start, p.plan.end);
                digests
                    .iter()
                    .find(|d| (d.0, d.1) == (a, b))
                    .map(|d| d.2.clone())
            }
            _ => return None,
        };
        if integrity {
            list.push((p.plan.number, etag?));
        }
    }
    on_wire.then_some(list)
}

/// The hex of a base64 MD5 (`None` if it is not one). By hand: the uploader's wasm has no
/// base64 decoder, and a crate's would cost more than these lines.
fn hex_md5(b64: &str) -> Option<String> {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let (mut bits, mut n, mut out) = (0u32, 0u32, String::with_capacity(32));
    for c in b64.bytes().take_while(|&c| c != b'=') {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        bits = (bits << 6 | u32::from(v)) & 0xffff;
        n += 6;
        if n >= 8 {
            n -= 8;
            let byte = (bits >> n) & 0xff;
            out.push(HEX[(byte >> 4) as usize] as char);
            out.push(HEX[(byte & 0xf) as usize] as char);
        }
    }
    (out.len() == 32).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::hex_md5;

    #[test]
    fn base64_md5s_read_as_hex() {
        // MD5 of "" and of "abc".
        assert_eq!(
            hex_md5("1B2M2Y8AsgTpgAmY7PhCfg==").as_deref(),
            Some("d41d8cd98f00b204e9800998ecf8427e")
        );
        assert_eq!(
            hex_md5("kAFQmDzST7DWlj99KOF/cg==").as_deref(),
            Some("900150983cd24fb0d6963f7d28e17f72")
        );
        assert_eq!(hex_md5("kAFQmDzST7DWlj99KOF/"), None, "too short");
        assert_eq!(hex_md5("kAFQmDzST7DWlj99KOF*cg=="), None, "not base64");
    }
}
