//! Whole parts (the regular and fallback flows) ask for their signed PUT ahead of a free slot.
//!
//! A part's `/multipart/upload` is a round trip before its PUT can leave. Asked only once a slot
//! is free, that round trip leaves the slot idle each time a part ends; on a shaped link, where
//! the small request waits in the same queue as the PUT bytes, a slot of 6 MiB parts at 1 Gbit/s
//! idled about a sixth of the time that way (2.5 of 3 PUTs on the wire on average; 2.74 with the
//! URLs asked ahead, which took Skiff regular from 0.96 to 1.01 x the plain PUT). So up to
//! `concurrency` parts beyond those on the wire hold a signed URL (or are asking for one), and a
//! slot that frees starts the next PUT at once. The URLs are used in part order, and one held
//! longer than `ASKED_FRESH_MS` is asked for again rather than trusted to be still valid.
//!
//! Asks ahead also stay within the browser's connections to a host: PUTs on the wire plus parts
//! asking or signed stay within the engine's connections (six alone, see `connections`; with
//! `concurrency` 3, three PUTs and three asks fit; with 6, a part asks only once a PUT has ended;
//! above 6, PUTs stop at 6). Over HTTP/1.1 a request beyond that would wait in the browser's
//! queue behind a PUT, where on a slow link its timeout runs out.
//!
//! Chunks (the intelligent flow) are not asked ahead: their size is only known when they go.

use crate::engine::Ctx;
use crate::file::{Part, PartState};
use crate::types::{Body, FileId, Millis, RequestKind};

/// How long a signed URL waiting for a slot is trusted. Servers sign part URLs for an hour
/// (skiff-server, S3 presigning in the direct mode); five minutes stays well inside that even
/// with clock skew, and a part waits that long only on a link slow enough not to miss a round
/// trip.
const ASKED_FRESH_MS: Millis = 5 * 60 * 1000;

/// The scheduler's turn for whole part `p`: a signed one goes on the wire if a slot is free
/// (`busy` counts the slots taken), and the answer is whether to ask for `p`'s URL now, which
/// it is while fewer than `concurrency` parts are asking or signed (`ahead` counts them) and
/// those with the PUTs leave a connection free.
pub(crate) fn admit(
    ctx: &mut Ctx,
    file: FileId,
    p: &mut Part,
    busy: &mut usize,
    ahead: &mut usize,
) -> bool {
    let slots = ctx.part_slots();
    if let PartState::Asked { at, .. } = p.state {
        if ctx.now.saturating_sub(at) <= ASKED_FRESH_MS {
            if *busy < slots {
                *busy += 1;
                *ahead -= 1;
                put_asked(ctx, file, p);
            }
            return false;
        }
        // Too old to trust: asked for again, now.
        *ahead -= 1;
        p.reset(ctx.now);
    }
    let ready = matches!(p.state, PartState::Ready { not_before, .. } if not_before <= ctx.now);
    let go = ready && *ahead < slots && *busy + *ahead < ctx.connections;
    *ahead += usize::from(go);
    go
}

/// Part `p`'s whole PUT of `len` bytes at `offset`, signed now as `url` and `headers` (by its
/// `/multipart/upload`, or with start's answer: `check_etag`, see `Body::Slice`), waits for a
/// slot ([`admit`] puts it on the wire).
pub(crate) fn hold(
    ctx: &Ctx,
    p: &mut Part,
    (offset, len): (u64, u64),
    url: String,
    headers: Vec<(String, String)>,
    check_etag: bool,
) {
    p.state = PartState::Asked {
        offset,
        len,
        url,
        headers,
        at: ctx.now,
        check_etag,
    };
}

/// Sends the PUT of `len` bytes at `offset` of a part (or chunk) signed as `url` and `headers`
/// (by its `/multipart/upload`, or with start's answer: `check_etag`, see `Body::Slice`).
pub(crate) fn put(
    ctx: &mut Ctx,
    file: FileId,
    p: &mut Part,
    (offset, len): (u64, u64),
    url: String,
    headers: Vec<(String, String)>,
    check_etag: bool,
) {
    let start = p.plan.start + offset;
    let kind = RequestKind::Put {
        part: p.plan.number,
        offset,
    };
    let body = Body::Slice {
        start,
        end: start + len,
        check_etag,
    };
    let req = ctx.send(file, kind, "PUT", url, headers, body);
    p.state = PartState::Putting {
        req,
        offset,
        len,
        started: ctx.now,
        answered: None,
    };
}

fn put_asked(ctx: &mut Ctx, file: FileId, p: &mut Part) {
    let state = std::mem::replace(
        &mut p.state,
        PartState::Ready {
            offset: 0,
            not_before: 0,
        },
    );
    if let PartState::Asked {
        offset,
        len,
        url,
        headers,
        check_etag,
        ..
    } = state
    {
        put(ctx, file, p, (offset, len), url, headers, check_etag);
    }
}
