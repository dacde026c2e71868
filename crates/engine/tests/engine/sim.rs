//! A fake Filestack-compatible server and network on a virtual clock, driving the engine the
//! way the browser driver does: perform each `Send`, honour each `Abort`, call `tick` at the
//! deadline, and feed outcomes back. Every request the engine sends is held to the wire
//! contract on the way (`contract::check`), in every scenario.

use crate::contract;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};
use skiff_engine::{
    Body, Engine, Event, FileId, FileSpec, Millis, Options, Outcome, Output, Request, RequestId,
    RequestKind,
};
use skiff_protocol::routes;
use std::collections::{BTreeMap, HashMap};

pub const KIB: u64 = 1024;
pub const MIB: u64 = 1024 * 1024;

/// What the network does with one request.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Let the server answer it.
    Serve,
    /// Let the server answer it, this many ms later than the network alone would.
    Slow(Millis),
    /// Answer with this status and body instead.
    Status(u16, &'static str),
    /// The connection breaks.
    Network,
    /// The driver could not read the file for it (nothing is sent).
    Unreadable,
    /// No answer ever (the engine's timeout must fire).
    Hang,
    /// A PUT sent before its MD5 was known came back with an ETag that is not that MD5.
    Altered,
    /// The link cuts the connection this many ms after it opens: a body that takes longer
    /// breaks then, with what went out by then reported as sent.
    CutAfter(Millis),
    /// (What `CutAfter` becomes for a request that it cuts: the bytes out by then.)
    Cut(u64),
    /// The answer arrives, and the driver hands it over only this many ms later (a PUT sent
    /// before its MD5, whose answer waits for the digest), saying when it arrived.
    Checked(Millis),
}

/// One upload session on the fake server.
#[derive(Debug, Default, Clone)]
pub struct Upload {
    pub size: u64,
    pub fii: bool,
    pub parts: BTreeMap<u32, Vec<u8>>,
    pub chunks: BTreeMap<(u32, u64), Vec<u8>>,
    pub committed: BTreeMap<u32, Vec<u8>>,
    /// The file's handle once complete.
    pub handle: Option<String>,
}

pub type Script = Box<dyn FnMut(&Request, &Sim) -> Action>;

pub struct Sim {
    pub engine: Engine,
    pub now: Millis,
    pub data: HashMap<FileId, Vec<u8>>,
    pub uploads: BTreeMap<String, Upload>,
    pub stored: BTreeMap<String, Vec<u8>>,
    /// Requests on the wire: when they finish, and what the network does.
    pub wire: Vec<(Millis, Request, Action)>,
    pub sent: Vec<Request>,
    pub events: Vec<Event>,
    pub aborted: Vec<RequestId>,
    pub bytes_per_ms: u64,
    pub latency_ms: Millis,
    pub confirm_fii: bool,
    pub complete_202s: u32,
    pub omit_etag: bool,
    /// Start says the part ETags are MD5s (`part_etag`), as skiff-server does.
    pub etag_md5: bool,
    /// Start offers complete ahead of the last parts (`await_parts`), and the driver reports
    /// each PUT's MD5 as the PUT goes.
    pub await_parts: bool,
    pub max_in_flight: usize,
    /// PUTs and commits on the wire at once (what `concurrency` bounds).
    pub max_puts: usize,
    /// When each request of `sent` went out, and when each answered (by id).
    pub sent_at: Vec<Millis>,
    pub answered_at: Vec<(RequestId, Millis)>,
    script: Option<Script>,
}

impl Sim {
    pub fn new(options: Options) -> Self {
        options.validate().unwrap();
        Self {
            engine: Engine::new(options, 1),
            now: 0,
            data: HashMap::new(),
            uploads: BTreeMap::new(),
            stored: BTreeMap::new(),
            wire: Vec::new(),
            sent: Vec::new(),
            events: Vec::new(),
            aborted: Vec::new(),
            bytes_per_ms: 10_000, // 10 MB/s
            latency_ms: 20,
            confirm_fii: true,
            complete_202s: 0,
            omit_etag: false,
            etag_md5: false,
            await_parts: false,
            max_in_flight: 0,
            max_puts: 0,
            sent_at: Vec::new(),
            answered_at: Vec::new(),
            script: None,
        }
    }

    pub fn script(&mut self, f: impl FnMut(&Request, &Sim) -> Action + 'static) {
        self.script = Some(Box::new(f));
    }

    /// The network does `action` to the first request whose kind `pick` matches, and lets the
    /// server answer every other.
    pub fn once(&mut self, pick: impl Fn(RequestKind) -> bool + 'static, action: Action) {
        let mut done = false;
        self.script(move |req, _| {
            if !done && pick(req.kind) {
                done = true;
                action.clone()
            } else {
                Action::Serve
            }
        });
    }

    /// Each `/multipart/upload` call so far, in order: its part, and whether it lets its MD5
    /// come later.
    pub fn md5_later(&self) -> Vec<(u32, bool)> {
        self.sent
            .iter()
            .filter_map(|r| match (r.kind, &r.body) {
                (RequestKind::Upload { part, .. }, Body::Json { md5_later, .. }) => {
                    Some((part, *md5_later))
                }
                _ => None,
            })
            .collect()
    }

    /// The part number of each PUT, and whether the driver is to check its ETag (a PUT signed
    /// with start's answer, `Body::Slice`'s `check_etag`), in order.
    pub fn put_checks(&self) -> Vec<(u32, bool)> {
        self.sent
            .iter()
            .filter_map(|r| match (r.kind, &r.body) {
                (RequestKind::Put { part, .. }, Body::Slice { check_etag, .. }) => {
                    Some((part, *check_etag))
                }
                _ => None,
            })
            .collect()
    }

    /// The `first_part` each start asked to have signed.
    pub fn first_parts_asked(&self) -> Vec<Option<u64>> {
        self.sent
            .iter()
            .filter(|r| r.kind == RequestKind::Start)
            .map(|r| Self::json(r)["first_part"].as_u64())
            .collect()
    }

    /// The reasons of the retries so far, in order.
    pub fn retry_reasons(&self) -> Vec<&str> {
        self.events
            .iter()
            .filter_map(|e| match e {
                Event::Retrying { reason, .. } => Some(reason.as_str()),
                _ => None,
            })
            .collect()
    }

    pub fn add(&mut self, size: u64) -> FileId {
        self.add_with(size, |_| {})
    }

    /// Adds a file of `size` bytes whose spec `edit` adjusts (security, alt text, …).
    pub fn add_with(&mut self, size: u64, edit: impl FnOnce(&mut FileSpec)) -> FileId {
        let data: Vec<u8> = (0..size)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        let mut spec = FileSpec::new(
            "https://up.test",
            "key",
            "f.bin",
            "application/octet-stream",
            size,
        );
        spec.tags = skiff_protocol::UploadTags::from_pairs([("t", "v")]);
        // This server stands in for skiff-server (the app's own).
        spec.own_server = true;
        edit(&mut spec);
        let id = self.engine.add_file(spec, self.now);
        self.data.insert(id, data);
        self.pump();
        id
    }

    /// Moves outputs from the engine onto the wire.
    pub fn pump(&mut self) {
        while let Some(out) = self.engine.poll() {
            match out {
                Output::Send(req) => {
                    if let Err(why) = contract::check(&req) {
                        panic!("the engine broke the wire contract: {why}\n{req:#?}");
                    }
                    let action = match self.script.take() {
                        Some(mut f) => {
                            let a = f(&req, self);
                            self.script = Some(f);
                            a
                        }
                        None => Action::Serve,
                    };
                    let len = match req.body {
                        Body::Slice { start, end, .. } => end - start,
                        _ => 0,
                    };
                    let extra = if let Action::Slow(ms) = action { ms } else { 0 };
                    let mut done =
                        self.now + self.latency_ms + len / self.bytes_per_ms.max(1) + extra;
                    let action = match action {
                        Action::CutAfter(life) if done > self.now + life => {
                            done = self.now + life;
                            let out = life.saturating_sub(self.latency_ms) * self.bytes_per_ms;
                            Action::Cut(out.min(len))
                        }
                        Action::CutAfter(_) => Action::Serve,
                        a => a,
                    };
                    // A driver that hashed the part ahead has its digest by now.
                    if let (true, Body::Slice { start, end, .. }) = (self.await_parts, &req.body) {
                        let bytes = &self.file_of(req.file)[*start as usize..*end as usize];
                        let md5 = STANDARD.encode(md5_of(bytes));
                        self.engine.digest(req.file, *start, *end, &md5);
                    }
                    self.sent.push(req.clone());
                    self.sent_at.push(self.now);
                    self.wire.push((done, req, action));
                    let parts = self
                        .wire
                        .iter()
                        .filter(|(_, r, _)| {
                            !matches!(r.kind, RequestKind::Start | RequestKind::Complete)
                        })
                        .count();
                    self.max_in_flight = self.max_in_flight.max(parts);
                    let puts = self
                        .wire
                        .iter()
                        .filter(|(_, r, _)| {
                            matches!(r.kind, RequestKind::Put { .. } | RequestKind::Commit { .. })
                        })
                        .count();
                    self.max_puts = self.max_puts.max(puts);
                }
                Output::Abort(id) => {
                    self.aborted.push(id);
                    self.wire.retain(|(_, r, _)| r.id != id);
                }
                Output::Event(e) => self.events.push(e),
            }
        }
    }

    /// Runs until the engine is idle (or `max_ms` of virtual time pass).
    pub fn run(&mut self, max_ms: Millis) {
        let end = self.now + max_ms;
        loop {
            self.pump();
            if self.engine.is_idle() || self.now >= end {
                return;
            }
            self.step();
        }
    }

    /// Advances to the next finishing request or engine deadline and handles it.
    pub fn step(&mut self) {
        let next_wire = self
            .wire
            .iter()
            .filter(|(_, _, a)| *a != Action::Hang)
            .map(|(t, _, _)| *t)
            .min();
        let next = match (next_wire, self.engine.deadline()) {
            (Some(a), Some(b)) => a.min(b),
            (Some(a), None) | (None, Some(a)) => a,
            (None, None) => panic!(
                "stuck: nothing in flight and no deadline\nevents: {:#?}",
                self.events
            ),
        };
        self.now = self.now.max(next);
        if next_wire == Some(next) {
            let i = self
                .wire
                .iter()
                .position(|(t, _, a)| *t == next && *a != Action::Hang)
                .unwrap();
            let (_, req, action) = self.wire.remove(i);
            // A complete sent ahead waits on the server until its parts are in (unless the
            // network fails it first).
            let served = matches!(action, Action::Serve | Action::Slow(_) | Action::Status(..));
            if req.kind == RequestKind::Complete && served && !self.holds_parts_for(&req) {
                self.wire.push((self.now + 1, req, action));
                return;
            }
            if let Action::Checked(ms) = action {
                // The server has the part from its answer on.
                let _ = self.serve(&req);
                self.engine.answered(req.id, self.now);
                self.answered_at.push((req.id, self.now));
                self.wire.push((self.now + ms, req, Action::Serve));
                self.pump();
                return;
            }
            if let Action::Cut(out) = action {
                self.engine.sent(req.id, out, self.now);
            }
            let outcome = self.answer(&req, action);
            self.answered_at.push((req.id, self.now));
            self.engine.handle(req.id, outcome, self.now);
        } else {
            self.engine.tick(self.now);
        }
        self.pump();
    }

    fn answer(&mut self, req: &Request, action: Action) -> Outcome {
        match action {
            Action::Serve | Action::Slow(_) => self.serve(req),
            Action::Status(status, body) => Outcome::Response {
                status,
                body: body.into(),
                etag: None,
            },
            Action::Network | Action::Cut(_) => Outcome::Network("connection reset".into()),
            Action::Unreadable => Outcome::Unreadable("NotReadableError: gone".into()),
            Action::Altered => {
                Outcome::Unverified("the part arrived altered: its ETag is not its MD5".into())
            }
            Action::Hang | Action::CutAfter(_) | Action::Checked(_) => unreachable!(),
        }
    }

    fn json(req: &Request) -> Value {
        match &req.body {
            Body::Json { value, .. } => value.clone(),
            _ => Value::Null,
        }
    }

    fn ok(body: Value) -> Outcome {
        Outcome::Response {
            status: 200,
            body: body.to_string(),
            etag: None,
        }
    }

    fn bad(code: &str) -> Outcome {
        Outcome::Response {
            status: 400,
            body: json!({ "error": { "code": code, "message": code } }).to_string(),
            etag: None,
        }
    }

    /// The fake server: keeps sessions, parts, chunks and files like skiff-server does.
    fn serve(&mut self, req: &Request) -> Outcome {
        let v = Self::json(req);
        match req.kind {
            RequestKind::Start => {
                let id = format!("u{}", self.uploads.len() + 1);
                let fii = v["fii"] == json!(true) && self.confirm_fii;
                self.uploads.insert(
                    id.clone(),
                    Upload {
                        size: v["size"].as_u64().unwrap(),
                        fii,
                        ..Upload::default()
                    },
                );
                let mut body = json!({ "uri": format!("/{id}"), "region": "r", "upload_id": id, "location_url": "loc.test" });
                if fii {
                    body["upload_type"] = json!("intelligent_ingestion");
                }
                if self.await_parts {
                    body["await_parts"] = json!(true);
                }
                if self.etag_md5 {
                    body["part_etag"] = json!("md5");
                    // Part 1 signed with the answer, when asked, as skiff-server does for an
                    // upload whose parts come through it.
                    if let (false, Some(size)) = (fii, v["first_part"].as_u64()) {
                        let url = format!("https://loc.test{}", routes::MULTIPART_PART);
                        let grant = format!("upload={id}&part=1&offset=0&size={size}");
                        body["first_part"] =
                            json!({ "url": url, "headers": { "X-Skiff-Part": grant } });
                    }
                }
                Self::ok(body)
            }
            RequestKind::Upload { part, offset } => {
                let id = v["upload_id"].as_str().unwrap();
                assert_eq!(v["part"], json!(part));
                // Without integrity checks (`disable_integrity_check`) there is no range.
                if let Body::Json {
                    md5_of: Some((a, b)),
                    ..
                } = req.body
                {
                    assert_eq!(
                        b - a,
                        v["size"].as_u64().unwrap(),
                        "md5 range and size agree"
                    );
                }
                // A part URL and grant as skiff-server hands them out: one URL for every part,
                // the grant in a header.
                let url = format!("https://loc.test{}", routes::MULTIPART_PART);
                let grant = format!("upload={id}&part={part}&offset={offset}&size={}", v["size"]);
                let mut body = json!({ "url": url, "headers": { "X-Skiff-Part": grant } });
                // `if_held`: skiff-server compares the MD5 the call carries with the ETag of
                // the part it holds; here, the file's bytes with the part's.
                if v["if_held"] == json!(true) {
                    let Body::Json {
                        md5_of: Some((a, b)),
                        md5_later: false,
                        ..
                    } = req.body
                    else {
                        panic!("if_held without the MD5 to compare: {:?}", req.body)
                    };
                    let file = &self.file_of(req.file)[a as usize..b as usize];
                    let up = &self.uploads[id];
                    if offset == 0 && up.parts.get(&part).is_some_and(|held| held == file) {
                        body["held"] = json!(format!("e{part}-{}", file.len()));
                    }
                }
                Self::ok(body)
            }
            RequestKind::Put { part, offset } => {
                let [(name, grant)] = &req.headers[..] else {
                    panic!(
                        "a PUT carries its grant and nothing else: {:?}",
                        req.headers
                    )
                };
                assert_eq!(name, "X-Skiff-Part");
                let (id, query) = grant
                    .strip_prefix("upload=")
                    .and_then(|g| g.split_once('&'))
                    .unwrap();
                let id = id.to_owned();
                let Body::Slice { start, end, .. } = req.body else {
                    panic!()
                };
                let file = self.file_of(req.file).to_vec();
                let bytes = file[start as usize..end as usize].to_vec();
                let up = self.uploads.get_mut(&id).unwrap();
                let etag = format!("\"e{part}-{}\"", bytes.len());
                if up.fii
                    && query.starts_with(&format!("part={part}&offset={offset}&"))
                    && Self::is_chunk(&self.sent, req)
                {
                    up.chunks.insert((part, offset), bytes);
                } else {
                    up.parts.insert(part, bytes);
                }
                Outcome::Response {
                    status: 200,
                    body: String::new(),
                    etag: (!self.omit_etag).then_some(etag),
                }
            }
            RequestKind::Rejoin => {
                // What skiff-server's /multipart/resume answers.
                let id = v["upload_id"].as_str().unwrap();
                let Some(up) = self.uploads.get(id) else {
                    return Self::bad("unknown_upload");
                };
                let parts: Vec<Value> = up
                    .parts
                    .iter()
                    .map(|(n, b)| json!({ "part": n, "size": b.len(), "etag": format!("e{n}-{}", b.len()) }))
                    .chain(
                        up.committed
                            .iter()
                            .map(|(n, b)| json!({ "part": n, "size": b.len() })),
                    )
                    .collect();
                let chunks: Vec<Value> = up
                    .chunks
                    .iter()
                    .filter(|((p, _), _)| !up.committed.contains_key(p))
                    .map(|((p, off), b)| json!({ "part": p, "offset": off, "size": b.len() }))
                    .collect();
                let mut body = json!({ "upload_id": id, "size": up.size, "fii": up.fii,
                    "expires_at": 1, "direct": false, "parts": parts, "chunks": chunks });
                if let Some(h) = &up.handle {
                    body["handle"] = json!(h);
                }
                if self.etag_md5 {
                    body["part_etag"] = json!("md5");
                }
                Self::ok(body)
            }
            RequestKind::Commit { part } => {
                let id = v["upload_id"].as_str().unwrap().to_owned();
                let up = self.uploads.get_mut(&id).unwrap();
                assert_eq!(
                    v["size"].as_u64(),
                    Some(up.size),
                    "commit carries the whole file's size"
                );
                let mut pos = 0;
                let mut out = Vec::new();
                for ((p, off), bytes) in &up.chunks {
                    if *p == part && *off == pos {
                        out.extend_from_slice(bytes);
                        pos += bytes.len() as u64;
                    }
                }
                up.committed.insert(part, out);
                Self::ok(json!({}))
            }
            RequestKind::Complete => {
                if self.complete_202s > 0 {
                    self.complete_202s -= 1;
                    return Outcome::Response {
                        status: 202,
                        body: "{}".into(),
                        etag: None,
                    };
                }
                let id = v["upload_id"].as_str().unwrap().to_owned();
                let up = self.uploads.get(&id).unwrap().clone();
                let mut all: BTreeMap<u32, Vec<u8>> = BTreeMap::new();
                if let Some(list) = v["parts"].as_array() {
                    for p in list {
                        let n = p["part_number"].as_u64().unwrap() as u32;
                        let Some(bytes) = up.parts.get(&n) else {
                            return Self::bad("part_missing");
                        };
                        let etag = json!(format!("\"e{n}-{}\"", bytes.len()));
                        // Sent ahead, it lists the digests of parts whose PUT had not answered.
                        let digest = json!(hex::encode(md5_of(bytes)));
                        if v["await_parts"] == json!(true) && p["etag"] != etag {
                            if p["etag"] != digest {
                                return Self::bad("part_missing");
                            }
                        } else {
                            assert_eq!(p["etag"], etag);
                        }
                        all.insert(n, bytes.clone());
                    }
                }
                // Sent ahead without a list: the parts the server holds, as skiff-server takes.
                if v["await_parts"] == json!(true) && v["parts"].is_null() {
                    all.extend(up.parts.iter().map(|(n, b)| (*n, b.clone())));
                }
                if v["fii"] == json!(true) {
                    for (n, bytes) in &up.committed {
                        all.entry(*n).or_insert_with(|| bytes.clone());
                    }
                }
                let data: Vec<u8> = all.values().flatten().copied().collect();
                if data.len() as u64 != up.size {
                    return Self::bad("incomplete_upload");
                }
                let handle = format!("H{}", self.stored.len() + 1);
                self.stored.insert(handle.clone(), data);
                self.uploads.get_mut(&id).unwrap().handle = Some(handle.clone());
                Self::ok(json!({
                    "handle": handle, "url": format!("https://cdn.test/{handle}"), "filename": v["filename"],
                    "size": up.size, "mimetype": v["mimetype"], "status": "Stored", "key": "k", "container": "c",
                    "upload_tags": v["upload_tags"].clone()
                }))
            }
        }
    }

    /// Whether the server may answer complete `req` now: always, unless it was sent ahead of
    /// its parts (`await_parts`) and they are not all in (the listed ones, or without a list
    /// parts that add up to the file, committed ones too with `fii`).
    fn holds_parts_for(&self, req: &Request) -> bool {
        let v = Self::json(req);
        if v["await_parts"] != json!(true) {
            return true;
        }
        let up = &self.uploads[v["upload_id"].as_str().unwrap()];
        match v["parts"].as_array() {
            Some(list) => list.iter().all(|p| {
                up.parts
                    .contains_key(&(p["part_number"].as_u64().unwrap() as u32))
            }),
            // Intelligent: the committed parts count too (and are what it waits for).
            None => {
                let committed = up.committed.values().filter(|_| v["fii"] == json!(true));
                let held = up.parts.values().chain(committed);
                held.map(|b| b.len() as u64).sum::<u64>() >= up.size
            }
        }
    }

    /// Whether the upload call that led to this PUT was a chunk call (`fii` + `offset`).
    fn is_chunk(sent: &[Request], put: &Request) -> bool {
        let RequestKind::Put { part, offset } = put.kind else {
            return false;
        };
        sent.iter()
            .rev()
            .find(|r| r.file == put.file && r.kind == RequestKind::Upload { part, offset })
            .is_some_and(|r| Self::json(r)["fii"] == json!(true))
    }

    pub fn file_of(&self, id: FileId) -> &[u8] {
        &self.data[&id]
    }

    /// The stored bytes of a finished file.
    pub fn stored_of(&self, id: FileId) -> &[u8] {
        let handle = self
            .events
            .iter()
            .find_map(|e| match e {
                Event::FileDone { file, result } if *file == id => Some(result.handle.clone()),
                _ => None,
            })
            .unwrap_or_else(|| panic!("file {id:?} did not finish: {:#?}", self.failures()));
        &self.stored[&handle]
    }

    pub fn failures(&self) -> Vec<String> {
        self.events
            .iter()
            .filter_map(|e| match e {
                Event::FileFailed { error, .. } => Some(error.to_string()),
                _ => None,
            })
            .collect()
    }

    pub fn kinds(&self) -> Vec<RequestKind> {
        self.sent.iter().map(|r| r.kind).collect()
    }

    /// The requests sent that `keep` picks, each with when it went out.
    pub fn sent_where(&self, keep: impl Fn(&Request) -> bool) -> Vec<(RequestId, Millis)> {
        let sent = self.sent.iter().zip(&self.sent_at);
        sent.filter(|(r, _)| keep(r))
            .map(|(r, at)| (r.id, *at))
            .collect()
    }

    /// When request `id` was answered.
    pub fn answered(&self, id: RequestId) -> Millis {
        let found = self.answered_at.iter().rev().find(|(r, _)| *r == id);
        found.map(|(_, at)| *at).expect("answered")
    }

    /// Lengths of the chunk PUTs, in order.
    pub fn put_lengths(&self) -> Vec<u64> {
        self.sent
            .iter()
            .filter_map(|r| match (r.kind, &r.body) {
                (RequestKind::Put { .. }, Body::Slice { start, end, .. }) => Some(end - start),
                _ => None,
            })
            .collect()
    }

    /// Every progress value of `file`, in order.
    pub fn progress_of(&self, file: FileId) -> Vec<u64> {
        self.events
            .iter()
            .filter_map(|e| match e {
                Event::Progress(p) if p.file == file => Some(p.file_bytes),
                _ => None,
            })
            .collect()
    }

    /// The `Content-Type`s of the JSON calls (every request but the PUTs) in the order sent,
    /// each run of the same one counted once: where the label changes, and to what.
    pub fn json_content_types(&self) -> Vec<String> {
        let mut types: Vec<String> = self
            .sent
            .iter()
            .filter(|r| r.method != "PUT")
            .flat_map(|r| r.headers.iter())
            .filter(|(k, _)| k.eq_ignore_ascii_case("content-type"))
            .map(|(_, v)| v.clone())
            .collect();
        types.dedup();
        types
    }

    pub fn body_of(&self, kind: RequestKind) -> Value {
        Self::json(self.sent.iter().rev().find(|r| r.kind == kind).unwrap())
    }
}

/// The MD5 of `bytes`, as the driver hashes a part and skiff-server makes its ETag.
pub fn md5_of(bytes: &[u8]) -> [u8; 16] {
    use md5::Digest as _;
    md5::Md5::digest(bytes).into()
}
