//! Parts sent before their MD5 was known, and the check of their PUT's `ETag` against it once it
//! lands. Plain Rust (no browser), tested here on the host; the driver feeds it and hands the
//! outcomes it releases to the engine.
//!
//! Why: each `/multipart/upload` call carries its part's MD5, so at the start of an upload every
//! PUT waited for its part to be read and hashed while its slot of the link stood idle. On a
//! 1 Gbit/s link the first PUT left 38-59 ms after `upload()` instead of 10-13, and the third at
//! 108-149 ms instead of 14-18, about 100 ms lost on every upload. Where the server says its part
//! ETags are the MD5 of the bytes it stored (`part_etag: "md5"` in start's answer, a Skiff
//! extension), a whole part's first try whose digest is not ready goes without it, and its PUT's
//! answer reaches the engine only once that digest has landed and matches the ETag. The check is
//! as strong as the server's: both compare the file's MD5 with that of the bytes stored. An
//! `ETag` that differs (or is missing, or a range that could not be read) becomes
//! [`Outcome::Unverified`]: the engine sends the part again, with its MD5 this time, and a part
//! counts as done (for complete, for progress records, for resume) only once checked.

use super::hash_ahead::{HashAhead, Range};
use crate::web::md5::{digest_base64, etag_digest};
use skiff_engine::{Body, Outcome, Request, RequestId, RequestKind};

/// Whether `req` goes now, and with which digest (`None`: it carries none, or reads its range
/// itself), or waits in `hasher` for its digest. A call that may let its MD5 come later goes at
/// once when the digest is not ready, without it, and the answer of its PUT waits in `checks`
/// instead; not once a check has failed in this upload. Kept out of line: inlined into the
/// driver's async loop it cost 0.3 KB more of the uploader's gzip.
#[inline(never)]
pub(crate) fn admit(
    mut req: Request,
    hasher: &mut HashAhead<Request>,
    checks: &mut EtagChecks,
) -> Option<(Request, Option<String>)> {
    match (&mut req.body, req.kind) {
        (
            Body::Json {
                md5_of: md5_of @ Some(_),
                md5_later,
                ..
            },
            _,
        ) => {
            let (a, b) = md5_of.unwrap_or_default();
            let range = (req.file, a, b);
            if *md5_later && !checks.distrusted && !hasher.ready(range) {
                checks.sent_without(range);
                *md5_of = None;
                return Some((req, None));
            }
            checks.sent_with(range);
            hasher.request(range, req)
        }
        (
            Body::Slice {
                start,
                end,
                check_etag,
            },
            RequestKind::Put { .. },
        ) => {
            let range = (req.file, *start, *end);
            // Signed with start's answer, so no call of ours went without the MD5: the PUT is
            // checked all the same, with the digest hashed ahead if it is there already.
            if *check_etag {
                checks.sent_without(range);
                if let Some(digest) = hasher.take(range) {
                    checks.landed(range, digest.as_deref());
                }
            }
            checks.put(req.id, range);
            Some((req, None))
        }
        _ => Some((req, None)),
    }
}

/// The digest of a range checked later: not landed yet, landed, or unreadable.
#[derive(Debug, Clone, PartialEq)]
enum Digest {
    Pending,
    Landed(String),
    Unreadable,
}

/// One range sent without its MD5: its digest, its PUT on the wire, and the PUT's answer while
/// it waits for the digest.
#[derive(Debug)]
struct Entry {
    range: Range,
    digest: Digest,
    put: Option<RequestId>,
    parked: Option<Outcome>,
}

/// The ranges sent without their MD5, in the order they went. One list searched from the start:
/// it holds a few parts at a time, and a map per field would cost the wasm a copy of its code for
/// each.
#[derive(Debug, Default)]
pub(crate) struct EtagChecks {
    entries: Vec<Entry>,
    /// A check failed: the server (or something between) broke the promise that ETags are
    /// MD5s, or the link alters bytes. The rest of the upload's parts carry their MD5, rather
    /// than each be sent twice.
    distrusted: bool,
}

impl EtagChecks {
    /// A `/multipart/upload` of `range` goes without its MD5: the PUT it leads to is checked.
    pub(crate) fn sent_without(&mut self, range: Range) {
        if !self.entries.iter().any(|e| e.range == range) {
            self.entries.push(Entry {
                range,
                digest: Digest::Pending,
                put: None,
                parked: None,
            });
        }
    }

    /// A `/multipart/upload` of `range` carries its MD5 (a retry): the server checks that one.
    pub(crate) fn sent_with(&mut self, range: Range) {
        self.entries.retain(|e| e.range != range);
    }

    /// A PUT of `range` goes on the wire as `id`; it is checked if its call went without MD5.
    pub(crate) fn put(&mut self, id: RequestId, range: Range) {
        if let Some(e) = self.entries.iter_mut().find(|e| e.range == range) {
            e.put = Some(id);
        }
    }

    /// The ranges whose digest a PUT's answer still waits for, in the order they went: the
    /// hasher takes them before any range hashed ahead.
    pub(crate) fn pending(&self) -> impl Iterator<Item = Range> + '_ {
        self.entries
            .iter()
            .filter(|e| e.digest == Digest::Pending)
            .map(|e| e.range)
    }

    /// Request `id` ended with `outcome`: returns what the engine gets now, or `None` when the
    /// answer waits for its digest ([`EtagChecks::landed`] releases it).
    pub(crate) fn answered(&mut self, id: RequestId, outcome: Outcome) -> Option<Outcome> {
        let Some(i) = self.entries.iter().position(|e| e.put == Some(id)) else {
            return Some(outcome);
        };
        let succeeded = matches!(
            outcome,
            Outcome::Response {
                status: 200..=299,
                ..
            }
        );
        if succeeded && self.entries[i].digest == Digest::Pending {
            self.entries[i].parked = Some(outcome);
            return None;
        }
        let e = self.entries.remove(i);
        // A failure goes as it is: the engine retries it, and the retry carries the MD5.
        Some(if succeeded {
            self.check(outcome, &e.digest)
        } else {
            outcome
        })
    }

    /// The digest of `range` landed (`None`: the range could not be read). Returns the answer it
    /// releases, checked.
    pub(crate) fn landed(
        &mut self,
        range: Range,
        digest: Option<&str>,
    ) -> Option<(RequestId, Outcome)> {
        let i = self.entries.iter().position(|e| e.range == range)?;
        let e = &mut self.entries[i];
        e.digest = digest.map_or(Digest::Unreadable, |d| Digest::Landed(d.to_owned()));
        let outcome = e.parked.take()?;
        let e = self.entries.remove(i);
        Some((e.put?, self.check(outcome, &e.digest)))
    }

    /// [`check`], remembering a failed one (not an unreadable range: the file's fault, not the
    /// server's).
    fn check(&mut self, outcome: Outcome, digest: &Digest) -> Outcome {
        let checked = check(outcome, digest);
        if matches!(checked, Outcome::Unverified(_)) && matches!(digest, Digest::Landed(_)) {
            self.distrusted = true;
        }
        checked
    }

    /// Forgets request `id` (the engine aborted it: paused, cancelled, timed out).
    pub(crate) fn forget(&mut self, id: RequestId) {
        for e in self.entries.iter_mut().filter(|e| e.put == Some(id)) {
            e.put = None;
            e.parked = None;
        }
    }
}

/// A successful PUT's answer, if its `ETag` is the MD5 of its range; otherwise why not (the
/// engine's retry reason, which the app's `onRetry` sees).
fn check(outcome: Outcome, digest: &Digest) -> Outcome {
    let Outcome::Response { etag, .. } = &outcome else {
        return outcome;
    };
    let Digest::Landed(want) = digest else {
        return Outcome::Unverified(
            "the file could not be read to check the part the server stored".to_owned(),
        );
    };
    match etag.as_deref().and_then(etag_digest) {
        Some(got) if digest_base64(&got) == *want => outcome,
        Some(got) => Outcome::Unverified(format!(
            "the part arrived altered: the server stored bytes whose MD5 is {}, not the file's {want}",
            digest_base64(&got)
        )),
        None => Outcome::Unverified(
            "the part could not be checked: its ETag is not an MD5, though the server said its part ETags are"
                .to_owned(),
        ),
    }
}

/// A 200 to a part PUT whose ETag is the quoted hex of `md5`, as skiff-server answers (tests).
#[cfg(test)]
pub(crate) fn stored_answer(md5: &[u8; 16]) -> Outcome {
    let hex: String = md5.iter().map(|b| format!("{b:02x}")).collect();
    Outcome::Response {
        status: 200,
        body: String::new(),
        etag: Some(format!("\"{hex}\"")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::md5_base64;
    use skiff_engine::FileId;

    const A: Range = (FileId(1), 0, 5);
    const B: Range = (FileId(1), 5, 10);

    /// A 200 whose ETag is the hex MD5 of `bytes`, as skiff-server answers a part PUT.
    fn put_ok(bytes: &[u8]) -> Outcome {
        stored_answer(&md5::Md5::digest(bytes).into())
    }

    use md5::Digest as _;

    #[test]
    fn an_answer_waits_for_its_digest_and_passes_when_the_etag_matches() {
        let mut c = EtagChecks::default();
        c.sent_without(A);
        assert_eq!(c.pending().collect::<Vec<_>>(), [A]);
        c.put(RequestId(7), A);
        assert_eq!(c.answered(RequestId(7), put_ok(b"hello")), None, "parked");
        let released = c.landed(A, Some(&md5_base64(b"hello")));
        assert_eq!(released, Some((RequestId(7), put_ok(b"hello"))));
        assert_eq!(c.pending().count(), 0);
        // Nothing is left of A: a later PUT of it is not checked.
        c.put(RequestId(8), A);
        assert_eq!(c.answered(RequestId(8), put_ok(b"x")), Some(put_ok(b"x")));
    }

    #[test]
    fn a_digest_that_landed_first_checks_the_answer_at_once() {
        let mut c = EtagChecks::default();
        c.sent_without(A);
        c.put(RequestId(1), A);
        assert_eq!(c.landed(A, Some(&md5_base64(b"hello"))), None);
        assert_eq!(c.pending().count(), 0, "landed: nothing to hash");
        assert_eq!(
            c.answered(RequestId(1), put_ok(b"hello")),
            Some(put_ok(b"hello"))
        );
    }

    #[test]
    fn an_altered_part_a_missing_etag_or_an_unreadable_range_is_unverified() {
        let unverified = |o: Option<Outcome>| match o {
            Some(Outcome::Unverified(why)) => why,
            other => panic!("{other:?}"),
        };
        let mut c = EtagChecks::default();
        c.sent_without(A);
        c.put(RequestId(1), A);
        c.landed(A, Some(&md5_base64(b"hello")));
        let why = unverified(c.answered(RequestId(1), put_ok(b"hellO")));
        assert!(why.contains("not the file's"), "{why}");

        c.sent_without(A);
        c.put(RequestId(2), A);
        c.landed(A, Some(&md5_base64(b"hello")));
        let no_etag = Outcome::Response {
            status: 200,
            body: String::new(),
            etag: None,
        };
        let why = unverified(c.answered(RequestId(2), no_etag));
        assert!(why.contains("its ETag is not an MD5"), "{why}");

        c.sent_without(B);
        c.put(RequestId(3), B);
        assert_eq!(c.answered(RequestId(3), put_ok(b"world")), None);
        let released = c.landed(B, None);
        let why = unverified(released.map(|(_, o)| o));
        assert!(why.contains("could not be read"), "{why}");
    }

    /// A `/multipart/upload` of `range` whose MD5 may come later, or a PUT of it.
    fn call(id: u64, range: Range, later: bool) -> Request {
        Request {
            id: RequestId(id),
            file: range.0,
            kind: RequestKind::Upload { part: 1, offset: 0 },
            method: "POST",
            url: "https://up.test/multipart/upload".into(),
            headers: Vec::new(),
            body: Body::Json {
                value: serde_json::json!({}),
                md5_of: Some((range.1, range.2)),
                md5_later: later,
            },
            timeout_ms: 1000,
        }
    }

    fn put(id: u64, range: Range) -> Request {
        put_signed(id, range, false)
    }

    /// A PUT of `range`; `check_etag`: signed with start's answer (part 1).
    fn put_signed(id: u64, range: Range, check_etag: bool) -> Request {
        Request {
            kind: RequestKind::Put { part: 1, offset: 0 },
            method: "PUT",
            body: Body::Slice {
                start: range.1,
                end: range.2,
                check_etag,
            },
            ..call(id, range, false)
        }
    }

    /// Whether `admit` sent `req` at once without its MD5.
    fn went_early(sent: &Option<(Request, Option<String>)>) -> bool {
        matches!(sent, Some((r, None)) if matches!(r.body, Body::Json { md5_of: None, .. }))
    }

    #[test]
    fn a_call_goes_early_only_when_it_may_and_its_digest_is_not_ready() {
        let mut hasher: HashAhead<Request> = HashAhead::new(1);
        let mut c = EtagChecks::default();
        // May, and not hashed: goes now, without the MD5; its PUT is checked.
        assert!(went_early(&admit(call(1, A, true), &mut hasher, &mut c)));
        assert!(admit(put(2, A), &mut hasher, &mut c).is_some());
        assert_eq!(c.answered(RequestId(2), put_ok(b"hello")), None, "checked");
        // May not (a retry, a chunk, a server without the promise): waits for its digest.
        assert!(admit(call(3, B, false), &mut hasher, &mut c).is_none());
        // May, but the digest is ready: goes with it, and its PUT is not checked.
        assert_eq!(hasher.next(&[], &[B], 1, true), Some(B));
        hasher.hashed(B, Some("b".into()), &[]);
        const C: Range = (FileId(1), 10, 15);
        assert_eq!(hasher.next(&[], &[C], 1, true), Some(C));
        hasher.hashed(C, Some("c".into()), &[C]);
        let sent = admit(call(4, C, true), &mut hasher, &mut c);
        assert!(
            matches!(sent, Some((_, Some(ref d))) if d == "c"),
            "{sent:?}"
        );
    }

    #[test]
    fn a_put_signed_with_start_is_checked_with_the_digest_it_finds() {
        let mut hasher: HashAhead<Request> = HashAhead::new(1);
        let mut c = EtagChecks::default();
        // Not hashed yet: its answer waits for the digest, which is hashed first.
        assert!(admit(put_signed(1, A, true), &mut hasher, &mut c).is_some());
        assert_eq!(c.pending().collect::<Vec<_>>(), [A]);
        assert_eq!(c.answered(RequestId(1), put_ok(b"hello")), None, "parked");
        let released = c.landed(A, Some(&md5_base64(b"hello")));
        assert_eq!(released, Some((RequestId(1), put_ok(b"hello"))));
        // Hashed ahead already: the digest moves from the hasher to the check, and an ETag
        // that differs is caught at once.
        assert_eq!(hasher.next(&[], &[B], 1, true), Some(B));
        hasher.hashed(B, Some(md5_base64(b"world")), &[B]);
        admit(put_signed(2, B, true), &mut hasher, &mut c);
        assert!(!hasher.ready(B), "taken");
        assert_eq!(c.pending().count(), 0);
        let altered = c.answered(RequestId(2), put_ok(b"World"));
        assert!(
            matches!(altered, Some(Outcome::Unverified(_))),
            "{altered:?}"
        );
        // A PUT its call signed (with or without MD5) is not marked: checked as its call said.
        admit(put(3, A), &mut hasher, &mut c);
        assert_eq!(c.answered(RequestId(3), put_ok(b"x")), Some(put_ok(b"x")));
    }

    #[test]
    fn after_a_failed_check_the_parts_carry_their_md5() {
        let mut hasher: HashAhead<Request> = HashAhead::new(1);
        let mut c = EtagChecks::default();
        assert!(went_early(&admit(call(1, A, true), &mut hasher, &mut c)));
        admit(put(2, A), &mut hasher, &mut c);
        c.landed(A, Some(&md5_base64(b"hello")));
        let altered = c.answered(RequestId(2), put_ok(b"hellO"));
        assert!(
            matches!(altered, Some(Outcome::Unverified(_))),
            "{altered:?}"
        );
        // B may go early, but a check failed: it waits for its MD5.
        assert!(admit(call(3, B, true), &mut hasher, &mut c).is_none());

        // An unreadable range is the file's doing, not the server's: trust stays.
        let mut c = EtagChecks::default();
        assert!(went_early(&admit(call(1, A, true), &mut hasher, &mut c)));
        admit(put(2, A), &mut hasher, &mut c);
        c.landed(A, None);
        let why = c.answered(RequestId(2), put_ok(b"hello"));
        assert!(matches!(why, Some(Outcome::Unverified(_))), "{why:?}");
        const C: Range = (FileId(2), 0, 5);
        assert!(went_early(&admit(call(3, C, true), &mut hasher, &mut c)));
    }

    #[test]
    fn failures_pass_through_and_their_retry_carries_the_md5() {
        let mut c = EtagChecks::default();
        c.sent_without(A);
        c.put(RequestId(1), A);
        let reset = Outcome::Network("connection reset".into());
        assert_eq!(c.answered(RequestId(1), reset.clone()), Some(reset));
        assert_eq!(c.pending().count(), 0, "no PUT waits for A's digest now");
        // The retry's PUT is not checked here: the server checks its MD5.
        c.put(RequestId(2), A);
        assert_eq!(c.answered(RequestId(2), put_ok(b"x")), Some(put_ok(b"x")));
    }

    #[test]
    fn an_aborted_put_is_forgotten_and_a_re_asked_range_keeps_its_digest() {
        let mut c = EtagChecks::default();
        c.sent_without(A);
        c.put(RequestId(1), A);
        assert_eq!(c.answered(RequestId(1), put_ok(b"hello")), None);
        c.forget(RequestId(1));
        assert_eq!(c.landed(A, Some(&md5_base64(b"hello"))), None);
        // Asked for again without MD5 (a pause, a stale URL): the digest is still there.
        c.sent_without(A);
        c.put(RequestId(2), A);
        assert_eq!(
            c.answered(RequestId(2), put_ok(b"hello")),
            Some(put_ok(b"hello"))
        );
        // Requests that are not checked PUTs pass untouched.
        assert_eq!(c.answered(RequestId(3), put_ok(b"y")), Some(put_ok(b"y")));
    }
}
