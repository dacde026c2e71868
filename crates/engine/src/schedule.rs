//! Scheduling: what may start now. Queued files go into free file slots, and each file's ready
//! calls (start, resume, complete) and ready parts go on the wire while part slots are free,
//! within the browser's connections (`crate::connections`). Whole parts are admitted with their
//! asks ahead (`crate::ahead`); chunked parts under way may use lanes (`crate::lanes`).

use crate::ahead;
use crate::early;
use crate::engine::{Ctx, Engine};
use crate::file::{Call, FileState, FileUpload, Part, PartState, Transfer};
use crate::lanes;
use crate::plan::first_part_len;
use crate::types::{Body, FileId, FileSpec, RequestId, RequestKind};
use crate::wire::{self, Session};
use skiff_protocol::routes;

impl Engine {
    /// Starts what may start: queued files into free file slots, then every ready call and
    /// ready part while part slots are free.
    pub(crate) fn schedule(&mut self) {
        let active = self.files.values().filter(|f| f.state.active()).count();
        let mut free_files = self.ctx.options.file_concurrency.saturating_sub(active);
        // A file's own calls (start, complete, resume) hold a connection too; its parts come
        // after its start and before its complete, but another file's may overlap them.
        let calls = self
            .ctx
            .inflight
            .values()
            .filter(|i| {
                matches!(
                    i.kind,
                    RequestKind::Start | RequestKind::Complete | RequestKind::Rejoin
                )
            })
            .count();
        let (mut busy, mut ahead) = (calls, 0);
        for f in self.files.values() {
            if let FileState::Uploading(t) = &f.state {
                for p in &t.parts {
                    busy += usize::from(p.busy());
                    ahead += usize::from(p.ahead());
                }
            }
        }
        let ids: Vec<FileId> = self.files.keys().copied().collect();
        for &id in &ids {
            let Self { files, ctx, .. } = self;
            let f = files.get_mut(&id).expect("listed");
            if matches!(f.state, FileState::Queued) && free_files > 0 {
                free_files -= 1;
                f.state = match f.spec.rejoin {
                    Some(_) => FileState::Rejoining(Call::default()),
                    None => FileState::Starting(Call::default()),
                };
            }
            match &mut f.state {
                FileState::Rejoining(call) if call.req.is_none() && call.not_before <= ctx.now => {
                    if let Some(cp) = &f.spec.rejoin {
                        // Only its ids and headers matter to the resume call.
                        let session = cp.session(false);
                        let url = format!("{}{}", session.base, routes::MULTIPART_RESUME);
                        let body = Body::Json {
                            value: wire::to_json(&wire::resume_body(&f.spec, &session)),
                            md5_of: None,
                            md5_later: false,
                        };
                        let headers = session.headers();
                        call.req =
                            Some(ctx.send(id, RequestKind::Rejoin, "POST", url, headers, body));
                    }
                }
                FileState::Starting(call) if call.req.is_none() && call.not_before <= ctx.now => {
                    let fii = ctx.options.mode != crate::options::Mode::Regular;
                    // A regular upload asks for part 1's PUT with the answer: one round trip
                    // less before its first byte goes (`first_part`, see `handle::on_start`).
                    let first_part = (!fii && f.spec.own_server)
                        .then(|| first_part_len(f.spec.size, ctx.options.part_size))
                        .flatten();
                    let url = format!("{}{}", f.spec.upload_url, routes::MULTIPART_START);
                    // Nothing is known of the server yet: labelled as its clients label it.
                    let headers = wire::json_headers(false);
                    let body = Body::Json {
                        value: wire::to_json(&wire::start_body(&f.spec, fii, first_part)),
                        md5_of: None,
                        md5_later: false,
                    };
                    call.req = Some(ctx.send(id, RequestKind::Start, "POST", url, headers, body));
                }
                FileState::Uploading(t) if t.all_done() => {
                    let t = t.clone();
                    // Complete sent ahead of the last answers is the one to wait for.
                    let call = Call {
                        req: t.early.request(),
                        ..Call::default()
                    };
                    let ahead = call.req.is_some();
                    f.state = FileState::Completing(t, call);
                    if !ahead {
                        send_complete(ctx, id, f);
                    }
                }
                FileState::Uploading(t) => {
                    let slots = ctx.part_slots();
                    let lanes_cap = lanes::in_flight_cap(slots, ctx.connections);
                    loop {
                        for i in 0..t.parts.len() {
                            let go = if t.parts[i].chunked {
                                // Chunked parts under way go on up to the browser's
                                // connections (lanes split off a part already counted against
                                // `concurrency`); a fresh part starts only within `concurrency`.
                                let limit = if lanes::under_way(&t.parts, i) {
                                    lanes_cap
                                } else {
                                    slots
                                };
                                let p = &t.parts[i];
                                let ready = matches!(p.state,
                                    PartState::Ready { not_before, .. } if not_before <= ctx.now);
                                // A committing lane waits for the part's other lanes.
                                let waits = matches!(p.state,
                                    PartState::Ready { offset, .. } if offset == p.upto)
                                    && !lanes::helpers_done(&t.parts, i);
                                let go = busy < limit && ready && !waits;
                                busy += usize::from(go);
                                go
                            } else {
                                ahead::admit(ctx, id, &mut t.parts[i], &mut busy, &mut ahead)
                            };
                            if go {
                                start_part(ctx, id, &f.spec, &t.session, &mut t.parts[i]);
                            }
                        }
                        // Connections to spare: split a lane, and go round again to start it.
                        // Only once the size rests on evidence: adding connections while
                        // failures halve it blindly would lose more bytes at each failure.
                        if busy >= lanes_cap
                            || !ctx.chunks.settled()
                            || lanes::split(&mut t.parts, ctx.chunks.size(), ctx.now).is_none()
                        {
                            break;
                        }
                    }
                }
                FileState::Completing(_, call)
                    if call.req.is_none() && call.not_before <= ctx.now =>
                {
                    send_complete(ctx, id, f);
                }
                _ => {}
            }
        }
        // Last, with what is left of the connections once every ready part had its turn (the
        // count above does not see what goes here).
        for id in ids {
            if let Some(f) = self.files.get_mut(&id) {
                early::send(&mut self.ctx, id, f);
            }
        }
    }
}

/// Sends the next step of a ready part (or lane): its chunk's or its whole PUT's
/// `/multipart/upload`, or its commit once a chunked part's bytes are all in.
fn start_part(ctx: &mut Ctx, id: FileId, spec: &FileSpec, session: &Session, p: &mut Part) {
    let PartState::Ready { offset, .. } = p.state else {
        return;
    };
    let headers = session.headers();
    if p.chunked && offset == p.upto {
        let url = format!("{}{}", session.base, routes::MULTIPART_COMMIT);
        let body = Body::Json {
            value: wire::to_json(&wire::commit_body(spec, session, p.plan.number)),
            md5_of: None,
            md5_later: false,
        };
        let kind = RequestKind::Commit {
            part: p.plan.number,
        };
        let req = ctx.send(id, kind, "POST", url, headers, body);
        p.state = PartState::Committing { req };
        return;
    }
    let len = p.next_len(offset, ctx.chunks.size());
    let start = p.plan.start + offset;
    let chunk_offset = p.chunked.then_some(offset);
    let mut body = wire::upload_body(spec, session, p.plan.number, len, chunk_offset);
    body.if_held = p.unchecked;
    let value = wire::to_json(&body);
    let md5_of = (!ctx.options.disable_integrity_check).then_some((start, start + len));
    // Only a whole part's first try: its ETag is checked, and a retry (after an altered part
    // among others) lets the server check the bytes instead. A part the server may hold
    // already needs its MD5 for the server to compare.
    let md5_later =
        md5_of.is_some() && session.etag_md5 && !p.chunked && p.attempts == 0 && !p.unchecked;
    let url = format!("{}{}", session.base, routes::MULTIPART_UPLOAD);
    let kind = RequestKind::Upload {
        part: p.plan.number,
        offset,
    };
    let body = Body::Json {
        value,
        md5_of,
        md5_later,
    };
    let req = ctx.send(id, kind, "POST", url, headers, body);
    p.state = PartState::Asking { req, offset, len };
}

/// Sends complete for a file in the completing state.
fn send_complete(ctx: &mut Ctx, id: FileId, f: &mut FileUpload) {
    let FileState::Completing(t, call) = &mut f.state else {
        return;
    };
    call.req = Some(complete(ctx, id, &f.spec, t, &t.etags(), false));
}

/// Sends `/multipart/complete` for `t`, listing `etags`; `await_parts` when it goes ahead of
/// the last parts' answers (`crate::early`). One function for both, as the body is the same.
pub(crate) fn complete(
    ctx: &mut Ctx,
    id: FileId,
    spec: &FileSpec,
    t: &Transfer,
    etags: &[(u32, String)],
    await_parts: bool,
) -> RequestId {
    let url = format!("{}{}", t.session.base, routes::MULTIPART_COMPLETE);
    let body = wire::complete_body(spec, &t.session, etags, t.fii(), await_parts);
    let body = Body::Json {
        value: wire::to_json(&body),
        md5_of: None,
        md5_later: false,
    };
    let headers = t.session.headers();
    ctx.send(id, RequestKind::Complete, "POST", url, headers, body)
}
