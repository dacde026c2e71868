//! What each outcome does to a file: one `match` over (request kind, verdict) per call.

use crate::ahead;
use crate::early::Early;
use crate::engine::{Ctx, Engine, Inflight, flow_after_start};
use crate::file::{Call, FileState, Flow, Growth, Part, PartState, Transfer};
use crate::grow;
use crate::rejoin::{self, Checkpoint};
use crate::types::{Event, FileId, Millis, Outcome, RequestId, RequestKind, UploadError};
use crate::wire;
use skiff_protocol::ErrorCode;

/// Most 202 answers to complete before giving up (about five minutes at the default poll).
const MAX_COMPLETE_POLLS: u32 = 300;

/// S3's code for a part whose bytes differ from the `Content-MD5` its presigned URL signed.
const BAD_DIGEST: &[u8] = b"<Code>BadDigest</Code>";

/// An outcome, judged.
enum Verdict {
    /// 2xx.
    Ok {
        status: u16,
        body: String,
        etag: Option<String>,
    },
    /// Worth another try: network, timeout, 5xx, 408, 429, and a PUT whose bytes arrived
    /// altered (`altered`: that says nothing of the link, so chunk sizes and flows stay).
    Retry {
        reason: String,
        status: Option<u16>,
        altered: bool,
    },
    /// Not worth another try: any other 4xx (and 3xx).
    Fatal(UploadError),
}

fn judge(kind: RequestKind, outcome: Option<Outcome>, timeout_ms: Millis) -> Verdict {
    match outcome {
        None => Verdict::Retry {
            reason: format!("no answer within {timeout_ms} ms"),
            status: None,
            altered: false,
        },
        Some(Outcome::Network(why)) => Verdict::Retry {
            reason: format!("network error: {why}"),
            status: None,
            altered: false,
        },
        Some(Outcome::Unreadable(why)) => Verdict::Retry {
            reason: format!("the file could not be read: {why}"),
            status: None,
            altered: false,
        },
        Some(Outcome::Unverified(why)) => Verdict::Retry {
            reason: why,
            status: None,
            altered: true,
        },
        Some(Outcome::Response { status, body, etag }) => match status {
            200..=299 => Verdict::Ok { status, body, etag },
            408 | 429 | 500..=599 => Verdict::Retry {
                reason: wire::http_error(kind, status, &body).message,
                status: Some(status),
                altered: false,
            },
            _ => {
                let e = wire::http_error(kind, status, &body);
                // The server found the PUT's bytes other than the MD5 they were sent with
                // (skiff-server's md5_mismatch; S3's BadDigest where a presigned URL signed
                // Content-MD5): most likely they changed on the way (a file changed since it
                // was picked fails to read in Chromium instead). Sent again, like a part whose
                // ETag is not its MD5, within the same retries, which run out with the server's
                // reason if the bytes keep differing: failing at once would make an
                // intermediary that garbles one request fatal only where the MD5 went first.
                let altered = matches!(kind, RequestKind::Put { .. })
                    && (e.code.as_deref() == Some(ErrorCode::Md5Mismatch.as_str())
                        // Bytes, not `str::contains`: its substring searcher costs the
                        // uploader's wasm about 0.5 KB.
                        || body
                            .as_bytes()
                            .windows(BAD_DIGEST.len())
                            .any(|w| w == BAD_DIGEST));
                if altered {
                    Verdict::Retry {
                        reason: e.message,
                        status: Some(status),
                        altered: true,
                    }
                } else {
                    Verdict::Fatal(e)
                }
            }
        },
    }
}

impl Engine {
    /// Applies the outcome of request `id` (`None`: it timed out).
    pub(crate) fn on_outcome(
        &mut self,
        id: RequestId,
        inflight: Inflight,
        outcome: Option<Outcome>,
    ) {
        let file = inflight.file;
        let verdict = judge(inflight.kind, outcome, self.ctx.options.timeout_ms);
        let result = match inflight.kind {
            RequestKind::Start => self.on_start(file, verdict),
            RequestKind::Upload { .. } | RequestKind::Put { .. } | RequestKind::Commit { .. } => {
                self.on_part(file, id, inflight.kind, verdict)
            }
            RequestKind::Complete => self.on_complete(file, id, verdict),
            RequestKind::Rejoin => {
                self.on_rejoin(file, verdict);
                Ok(())
            }
        };
        if let Err(error) = result {
            self.fail(file, error);
        }
        if self.ctx.switched {
            // The switch applies to every fallback file, paused ones included.
            for f in self.files.values_mut() {
                let state = match &mut f.state {
                    FileState::Paused(inner) => inner.as_mut(),
                    other => other,
                };
                if let FileState::Uploading(t) = state {
                    if t.flow == Flow::Fallback {
                        switch_to_chunks(t);
                    }
                }
            }
        }
        self.progress(file);
    }

    /// The file fails for good; everything it has in flight is aborted.
    fn fail(&mut self, file: FileId, error: UploadError) {
        let Some(f) = self.files.get_mut(&file) else {
            return;
        };
        for id in f.state.requests() {
            self.ctx.abort(id);
        }
        f.state = FileState::Failed(error.clone());
        self.ctx.event(Event::FileFailed { file, error });
    }

    fn on_start(&mut self, file: FileId, verdict: Verdict) -> Result<(), UploadError> {
        let Self { files, ctx, .. } = self;
        let Some(f) = files.get_mut(&file) else {
            return Ok(());
        };
        let FileState::Starting(call) = &mut f.state else {
            return Ok(());
        };
        match verdict {
            Verdict::Ok { body, .. } => {
                let (session, first_part) = wire::parse_start(&body)
                    .map_err(|why| wire::other_error(RequestKind::Start, None, &why))?;
                let flow = flow_after_start(ctx.options.mode, session.intelligent, ctx.switched);
                let (part_size, _) = flow.layout(ctx.options.part_size);
                let mut parts = flow.fresh_parts(f.spec.size, ctx.options.part_size);
                // Part 1's PUT, signed with the answer for the size start asked (the same plan
                // as `parts`), without its MD5: it waits for a slot like a part that asked
                // ahead, and the driver checks its ETag once the part is hashed. Only where the
                // server promised ETags that are MD5s, the one check there can be.
                if let (Flow::Regular, true, Some(signed), Some(p)) =
                    (flow, session.etag_md5, first_part, parts.first_mut())
                {
                    let check_etag = !ctx.options.disable_integrity_check;
                    let (url, headers) = (signed.url, signed.headers);
                    ahead::hold(ctx, p, (0, p.len()), url, headers, check_etag);
                }
                ctx.event(Event::Started {
                    file,
                    upload_id: session.upload_id.clone(),
                    intelligent: flow != Flow::Regular,
                    checkpoint: Checkpoint::of(&session, flow, part_size, f.spec.size),
                    expires_in: session.expires_in,
                });
                f.state = FileState::Uploading(Transfer {
                    session,
                    flow,
                    parts,
                    growth: Growth::new(flow, ctx.may_grow),
                    early: Early::Unsent,
                });
                Ok(())
            }
            Verdict::Retry { reason, status, .. } => {
                retry_call(ctx, file, call, RequestKind::Start, &reason, status)
            }
            Verdict::Fatal(e) => Err(e),
        }
    }

    /// What the server holds of an upload begun earlier: carry on from there, or (anything
    /// else: unknown, expired, a server without the extension, out of tries) start afresh.
    fn on_rejoin(&mut self, file: FileId, verdict: Verdict) {
        let Self { files, ctx, .. } = self;
        let Some(f) = files.get_mut(&file) else {
            return;
        };
        let FileState::Rejoining(call) = &mut f.state else {
            return;
        };
        let why = match verdict {
            Verdict::Ok { body, .. } => {
                let rebuilt = wire::parse_resume(&body).and_then(|held| match &f.spec.rejoin {
                    Some(cp) => rejoin::rebuild(
                        cp,
                        f.spec.size,
                        &held,
                        !ctx.options.disable_integrity_check,
                    ),
                    None => Err("no checkpoint".into()),
                });
                match rebuilt {
                    Ok(t) => {
                        ctx.event(Event::Rejoined {
                            file,
                            upload_id: t.session.upload_id.clone(),
                            held: t.sent(),
                        });
                        f.state = FileState::Uploading(t);
                        return;
                    }
                    Err(why) => why,
                }
            }
            Verdict::Retry { reason, status, .. } => {
                match retry_call(ctx, file, call, RequestKind::Rejoin, &reason, status) {
                    Ok(()) => return,
                    Err(e) => e.message,
                }
            }
            Verdict::Fatal(e) => e.message,
        };
        f.spec.rejoin = None;
        f.state = FileState::Starting(Call::default());
        ctx.event(Event::RejoinRefused { file, reason: why });
    }

    fn on_complete(
        &mut self,
        file: FileId,
        id: RequestId,
        verdict: Verdict,
    ) -> Result<(), UploadError> {
        let Self { files, ctx, .. } = self;
        let Some(f) = files.get_mut(&file) else {
            return Ok(());
        };
        if let FileState::Uploading(t) = &mut f.state {
            // Complete sent ahead (`crate::early`), answered before every PUT's answer was in:
            // the server holds every part, and what is left of their PUTs (an answer, the check
            // of an ETag) no longer matters. Anything else: complete goes as usual later.
            let early = t.early == Early::Sent(id);
            t.early = Early::Refused;
            if !early || !matches!(verdict, Verdict::Ok { status, .. } if status != 202) {
                return Ok(());
            }
            for part in t.parts.iter().filter_map(Part::request) {
                ctx.abort(part);
            }
            let call = Call {
                req: Some(id),
                ..Call::default()
            };
            f.state = FileState::Completing(t.clone(), call);
        }
        let FileState::Completing(t, call) = &mut f.state else {
            return Ok(());
        };
        if t.early == Early::Sent(id) {
            t.early = Early::Refused;
            // Every part was done by the time it failed: complete goes again at once, as usual.
            if !matches!(verdict, Verdict::Ok { .. }) {
                call.req = None;
                return Ok(());
            }
        }
        match verdict {
            Verdict::Ok { status: 202, .. } => {
                // Parts not merged yet: ask again shortly (bounded, unlike filestack-js).
                call.req = None;
                call.polls += 1;
                if call.polls > MAX_COMPLETE_POLLS {
                    return Err(wire::other_error(
                        RequestKind::Complete,
                        Some(202),
                        "the server kept answering 202 (not ready)",
                    ));
                }
                call.not_before = ctx.now + ctx.options.complete_poll_ms;
                Ok(())
            }
            Verdict::Ok { body, .. } => {
                let result = wire::parse_complete(&body, &f.spec)
                    .map_err(|why| wire::other_error(RequestKind::Complete, None, &why))?;
                f.state = FileState::Done(result.clone());
                ctx.event(Event::FileDone { file, result });
                Ok(())
            }
            Verdict::Retry { reason, status, .. } => {
                retry_call(ctx, file, call, RequestKind::Complete, &reason, status)
            }
            Verdict::Fatal(e) => Err(e),
        }
    }

    /// The answer to PUT `id` arrived and its outcome waits for the part's MD5
    /// ([`Engine::answered`]): the part is marked as held by the server, and the growth of
    /// regular parts hears it at once (`crate::grow::on_answer`).
    pub(crate) fn on_answer(&mut self, id: RequestId) {
        let Some(inflight) = self.ctx.inflight.get(&id).copied() else {
            return;
        };
        let Self { files, ctx, .. } = self;
        let Some((t, i)) = files.get_mut(&inflight.file).and_then(|f| f.part_of(id)) else {
            return;
        };
        let PartState::Putting { answered, .. } = &mut t.parts[i].state else {
            return;
        };
        answered.get_or_insert(ctx.now);
        grow::on_answer(ctx, inflight.file, t, i);
    }

    fn on_part(
        &mut self,
        file: FileId,
        id: RequestId,
        kind: RequestKind,
        verdict: Verdict,
    ) -> Result<(), UploadError> {
        let Self { files, ctx, .. } = self;
        let Some((t, i)) = files.get_mut(&file).and_then(|f| f.part_of(id)) else {
            return Ok(());
        };
        let failed = match &verdict {
            Verdict::Ok { .. } => None,
            Verdict::Retry { reason, .. } => Some(reason.as_str()),
            Verdict::Fatal(e) => Some(e.message.as_str()),
        };
        // A PUT that went through, timed to its answer rather than its outcome: an answer held
        // until the part's MD5 landed (`Engine::answered`) says nothing of the link for the
        // wait. Both rules below learn from this one time.
        let put_took = match (failed, &t.parts[i].state) {
            (
                None,
                PartState::Putting {
                    started, answered, ..
                },
            ) => Some(answered.unwrap_or(ctx.now).saturating_sub(*started)),
            _ => None,
        };
        // Bytes that arrived altered say nothing of the link: neither rule below learns from
        // them, and they go again as they were (the last arm), a bigger part too.
        if !matches!(verdict, Verdict::Retry { altered: true, .. }) {
            // What it tells the parts on the wire (`crate::widen`).
            ctx.widen
                .on_outcome(t.parts[i].chunked, failed.is_some(), put_took);
            // First what it tells the growth of regular parts: before the PartDone below, so
            // that a checkpoint never holds a bigger part as done under the layout before its
            // recut.
            if grow::on_outcome(ctx, file, t, i, kind, failed, put_took) {
                return Ok(());
            }
        }
        let p = &mut t.parts[i];
        match (p.state.clone(), verdict) {
            (PartState::Asking { offset, len, .. }, Verdict::Ok { body, .. }) => {
                let wire::UploadAnswer { url, headers, held } =
                    wire::parse_upload(&body).map_err(|why| wire::other_error(kind, None, &why))?;
                // A rejoined part the server says it holds with the file's bytes: done, no PUT.
                // Not held (or altered on its way before the reload): it goes as any part.
                let unchecked = std::mem::take(&mut p.unchecked);
                if let Some(etag) = held.filter(|_| unchecked) {
                    part_done(ctx, file, p, Some(wire::quoted(&etag)));
                    return Ok(());
                }
                if p.chunked {
                    ahead::put(ctx, file, p, (offset, len), url, headers, false);
                } else if t.flow == Flow::Intelligent {
                    // Signed as a whole part before a fallback switch: chunks from now on.
                    p.chunked = true;
                    p.reset(ctx.now);
                } else {
                    // A slot is taken when `schedule` puts it on the wire.
                    ahead::hold(ctx, p, (offset, len), url, headers, false);
                }
                Ok(())
            }
            (
                PartState::Putting {
                    offset,
                    len,
                    started,
                    ..
                },
                Verdict::Ok { etag, .. },
            ) => {
                p.attempts = 0;
                p.in_flight_sent = 0;
                if p.chunked {
                    ctx.chunks.succeeded(len, ctx.now.saturating_sub(started));
                    let next = offset + len;
                    // A helper lane is done with its stretch; the part's first lane commits.
                    p.state = if p.is_helper() && next == p.upto {
                        PartState::Done { etag: None }
                    } else {
                        PartState::Ready {
                            offset: next,
                            not_before: 0,
                        }
                    };
                    return Ok(());
                }
                let etag = etag.filter(|e| !e.is_empty()).ok_or_else(|| {
                    wire::other_error(
                        kind,
                        None,
                        "the PUT succeeded but its ETag header could not be read; the server must send ETag and expose it to browsers (Access-Control-Expose-Headers: ETag)",
                    )
                })?;
                part_done(ctx, file, p, Some(etag));
                Ok(())
            }
            (PartState::Committing { .. }, Verdict::Ok { .. }) => {
                part_done(ctx, file, p, None);
                Ok(())
            }
            // The two arms that learn from a failed PUT take only failures of the link:
            // altered bytes say nothing of it, so they go again as they were (the last arm).
            (
                PartState::Putting { len, started, .. },
                Verdict::Retry {
                    reason,
                    status,
                    altered: false,
                },
            ) if p.chunked => {
                // The adaptive part: the same offset again, at the size the link showed fits.
                // A connection that broke after carrying bytes was cut (a 5xx is an answer,
                // not a cut): that tells the controller how long connections live.
                let sent = if status.is_none() {
                    p.in_flight_sent
                } else {
                    0
                };
                let lived = ctx.now.saturating_sub(started);
                if !ctx.chunks.failed(len, sent, lived) {
                    return Err(wire::other_error(
                        kind,
                        status,
                        &format!(
                            "{reason}; the chunk was already at the smallest size ({len} bytes), so the connection is too poor to upload"
                        ),
                    ));
                }
                let size = Some(ctx.chunks.size());
                // A cut is the link's habit, not a server in trouble: the next chunk goes at
                // once (backing off would idle a connection the link allows).
                retry_part(ctx, file, p, kind, &reason, status, size, sent > 0)
            }
            (
                PartState::Putting { len, .. },
                Verdict::Retry {
                    reason,
                    altered: false,
                    ..
                },
            ) if t.flow == Flow::Fallback => {
                // Fallback: the first failed regular PUT moves every fallback file to chunks.
                ctx.switched = true;
                ctx.chunks.failed(len, 0, 0);
                p.reset(ctx.now);
                p.state = PartState::Ready {
                    offset: 0,
                    not_before: ctx.now,
                };
                ctx.event(Event::SwitchedToIntelligent { file });
                ctx.event(Event::Retrying {
                    file,
                    request: kind,
                    attempt: 1,
                    delay_ms: 0,
                    reason,
                    chunk_size: Some(ctx.chunks.size()),
                });
                switch_to_chunks(t);
                Ok(())
            }
            (
                _,
                Verdict::Retry {
                    reason,
                    status,
                    altered,
                },
            ) => {
                // A regular PUT still in flight when a fallback switch happened comes back as chunks.
                if t.flow == Flow::Intelligent {
                    p.chunked = true;
                }
                let chunk = p.chunked.then(|| ctx.chunks.size());
                // Out of retries, altered bytes keep their code, so that a person is told the
                // file arrived damaged rather than that something failed.
                retry_part(ctx, file, p, kind, &reason, status, chunk, false).map_err(|mut e| {
                    if altered {
                        e.code = Some(ErrorCode::Md5Mismatch.as_str().to_owned());
                    }
                    e
                })
            }
            (_, Verdict::Fatal(e)) => Err(e),
            (_, Verdict::Ok { .. }) => Ok(()),
        }
    }
}

/// Part `p` of `file` is done, with the ETag complete lists for a regular part: its tries start
/// over, and the checkpoint hears of it (`Event::PartDone`).
fn part_done(ctx: &mut Ctx, file: FileId, p: &mut Part, etag: Option<String>) {
    p.attempts = 0;
    p.state = PartState::Done { etag: etag.clone() };
    ctx.event(Event::PartDone {
        file,
        part: p.plan.number,
        etag,
    });
}

/// After a fallback switch: every part not yet done or in flight travels as chunks.
fn switch_to_chunks(t: &mut Transfer) {
    t.flow = Flow::Intelligent;
    for p in &mut t.parts {
        match p.state {
            PartState::Done { .. } => {}
            // A whole part's signed URL is of no use to chunks.
            PartState::Asked { .. } => {
                p.reset(0);
                p.chunked = true;
            }
            _ if p.request().is_none() => p.chunked = true,
            _ => {}
        }
    }
}

/// Another try of a part's step after a backoff (none if `at_once`), or the end of the file
/// when tries run out.
#[allow(clippy::too_many_arguments)] // one call's context, each used once
fn retry_part(
    ctx: &mut Ctx,
    file: FileId,
    p: &mut Part,
    kind: RequestKind,
    reason: &str,
    status: Option<u16>,
    chunk_size: Option<u64>,
    at_once: bool,
) -> Result<(), UploadError> {
    p.attempts += 1;
    if p.attempts > ctx.options.retry {
        return Err(wire::other_error(
            kind,
            status,
            &format!("{reason} (gave up after {} tries)", p.attempts),
        ));
    }
    let delay = if at_once {
        0
    } else {
        ctx.backoff.delay(p.attempts)
    };
    p.reset(ctx.now + delay);
    ctx.event(Event::Retrying {
        file,
        request: kind,
        attempt: p.attempts,
        delay_ms: delay,
        reason: reason.to_owned(),
        chunk_size,
    });
    Ok(())
}

/// Another try of start or complete after a backoff, or the end of the file.
fn retry_call(
    ctx: &mut Ctx,
    file: FileId,
    call: &mut Call,
    kind: RequestKind,
    reason: &str,
    status: Option<u16>,
) -> Result<(), UploadError> {
    call.req = None;
    call.attempts += 1;
    if call.attempts > ctx.options.retry {
        return Err(wire::other_error(
            kind,
            status,
            &format!("{reason} (gave up after {} tries)", call.attempts),
        ));
    }
    let delay = ctx.backoff.delay(call.attempts);
    call.not_before = ctx.now + delay;
    ctx.event(Event::Retrying {
        file,
        request: kind,
        attempt: call.attempts,
        delay_ms: delay,
        reason: reason.to_owned(),
        chunk_size: None,
    });
    Ok(())
}
