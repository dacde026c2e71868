//! Upload-session rules, pure: no I/O, no clock (`now` is a parameter). Handlers call these to
//! decide, then do the storage and state work.

use crate::config::OWN_LOCATIONS;
use crate::error::{ApiError, ApiResult};
use crate::state::{ChunkRecord, PartRecord, Session, StoreTarget};
use crate::storage::Piece;
use skiff_protocol::ErrorCode;
use skiff_protocol::limits::{MAX_FILENAME_BYTES, MAX_PART_SIZE, MAX_PARTS};
use skiff_protocol::wire::{PartRef, SessionRef, StoreParams};

/// File name used when a client sends none.
pub const UNNAMED: &str = "unnamed_file";

/// Checks a file name: no path separators, no control characters, not `.`/`..`, at most
/// 255 bytes. An absent or empty name becomes [`UNNAMED`].
pub fn filename(name: Option<&str>) -> ApiResult<String> {
    let name = name.map(str::trim).unwrap_or("");
    if name.is_empty() {
        return Ok(UNNAMED.to_owned());
    }
    let bad = |why: &str| {
        ApiError::bad(
            ErrorCode::InvalidPath,
            format!("the filename {name:?} {why}"),
        )
    };
    if name.len() > MAX_FILENAME_BYTES {
        return Err(bad(&format!("is longer than {MAX_FILENAME_BYTES} bytes")));
    }
    if name == "." || name == ".." {
        return Err(bad("is not a file name"));
    }
    if name.contains(['/', '\\']) {
        return Err(bad("contains a path separator"));
    }
    if name.chars().any(char::is_control) {
        return Err(bad("contains control characters"));
    }
    Ok(name.to_owned())
}

/// Checks a MIME type; absent or empty means `application/octet-stream`.
pub fn mimetype(mime: Option<&str>) -> ApiResult<String> {
    let mime = mime.map(str::trim).unwrap_or("");
    if mime.is_empty() {
        return Ok("application/octet-stream".to_owned());
    }
    let valid = mime.len() <= 255
        && mime
            .split_once('/')
            .is_some_and(|(t, s)| !t.is_empty() && !s.is_empty())
        && mime.chars().all(|c| c.is_ascii_graphic() || c == ' ');
    if !valid {
        return Err(ApiError::invalid(
            "mimetype",
            format!("{mime:?} is not a MIME type like `image/png`"),
        ));
    }
    Ok(mime.to_owned())
}

/// Checks a storage path: relative segments only (a leading `/` is dropped), no `..` or `.`
/// segments, no backslashes or control characters, at most 1024 bytes.
pub fn storage_path(path: &str) -> ApiResult<String> {
    let bad = |why: &str| {
        ApiError::bad(
            ErrorCode::InvalidPath,
            format!("the storage path {path:?} {why}"),
        )
    };
    if path.len() > 1024 {
        return Err(bad("is longer than 1024 bytes"));
    }
    if path.contains('\\') || path.chars().any(char::is_control) {
        return Err(bad("contains a backslash or control characters"));
    }
    let trimmed = path.trim_start_matches('/');
    let segments: Vec<&str> = trimmed.split('/').collect();
    let last = segments.len() - 1;
    for (i, seg) in segments.iter().enumerate() {
        if *seg == ".." || *seg == "." {
            return Err(bad("climbs out of its folder (`..` or `.` segment)"));
        }
        if seg.is_empty() && i != last {
            return Err(bad("has an empty segment (`//`)"));
        }
    }
    Ok(trimmed.to_owned())
}

/// Reads the `store` object of start into a target, with `default_container` when none is given.
/// `locations` are the other locations the config names (`[locations.<name>]`).
pub fn store_target(
    store: Option<&StoreParams>,
    default_container: &str,
    locations: &[&str],
) -> ApiResult<StoreTarget> {
    let store = store.cloned().unwrap_or_default();
    let location = store
        .location
        .as_deref()
        .unwrap_or("s3")
        .trim()
        .to_ascii_lowercase();
    if !OWN_LOCATIONS.contains(&location.as_str()) && !locations.contains(&location.as_str()) {
        let others: String = locations.iter().map(|l| format!(", {l:?}")).collect();
        return Err(ApiError::bad(
            ErrorCode::UnsupportedLocation,
            format!(
                "storage location {location:?} is not available on this server; use \"s3\" (this server's storage){others}"
            ),
        ));
    }
    let container = match store
        .container
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        None => default_container.to_owned(),
        Some(c) => {
            let ok = c.len() <= 63
                && c.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
                && !c.contains("..");
            if !ok {
                return Err(ApiError::bad(
                    ErrorCode::InvalidPath,
                    format!(
                        "the container {c:?} may only hold letters, digits, `-`, `_` and `.` (at most 63)"
                    ),
                ));
            }
            c.to_owned()
        }
    };
    let path = store
        .path
        .as_deref()
        .filter(|p| !p.is_empty())
        .map(storage_path)
        .transpose()?;
    let access = match store.access.as_deref() {
        None | Some("") => None,
        Some(a @ ("public" | "private")) => Some(a.to_owned()),
        Some(other) => {
            return Err(ApiError::invalid(
                "store.access",
                format!("must be \"public\" or \"private\", not {other:?}"),
            ));
        }
    };
    Ok(StoreTarget {
        location,
        path,
        container,
        region: store.region.filter(|r| !r.is_empty()),
        access,
    })
}

/// The storage key of a new file: the requested path when it names a file, else
/// `<folder><unique>_<filename>` like Filestack's.
pub fn storage_key(target: &StoreTarget, filename: &str, unique: &str) -> String {
    match target.path.as_deref() {
        Some(p) if !p.is_empty() && !p.ends_with('/') => p.to_owned(),
        Some(folder) => format!("{folder}{unique}_{filename}"),
        None => format!("{unique}_{filename}"),
    }
}

/// Finds the live session a request names, for app `app`, at `now` (unix ms).
pub fn live_session(
    found: Option<Session>,
    upload_id: &str,
    app: &str,
    now: i64,
) -> ApiResult<Session> {
    let unknown = || {
        ApiError::bad(
            ErrorCode::UnknownUpload,
            format!("no upload with id {upload_id:?} is in progress for this app"),
        )
    };
    let session = found.filter(|s| s.app == app).ok_or_else(unknown)?;
    if session.expires_at <= now {
        return Err(ApiError::bad(
            ErrorCode::UploadExpired,
            format!("upload {upload_id:?} expired; start a new one"),
        ));
    }
    Ok(session)
}

/// The upload id a request names.
pub fn upload_id(r: &SessionRef) -> ApiResult<&str> {
    r.upload_id
        .as_deref()
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ApiError::missing("upload_id"))
}

/// A validated request to PUT one part or chunk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slot {
    /// 1-based part number.
    pub part: u32,
    /// Bytes to PUT.
    pub size: u64,
    /// Chunk offset within the part (intelligent ingestion); `None` for a regular part.
    pub offset: Option<u64>,
    /// Declared MD5 digest.
    pub md5: Option<[u8; 16]>,
}

/// Validates a part number.
pub fn part_number(part: Option<u64>) -> ApiResult<u32> {
    let part = part.ok_or_else(|| ApiError::missing("part"))?;
    if part == 0 || part > u64::from(MAX_PARTS) {
        return Err(ApiError::bad(
            ErrorCode::PartOutOfRange,
            format!("part {part} is out of range 1..={MAX_PARTS}"),
        ));
    }
    Ok(part as u32)
}

/// Decodes a base64 MD5 digest.
pub fn md5_digest(md5: Option<&str>) -> ApiResult<Option<[u8; 16]>> {
    use base64::Engine as _;
    let Some(text) = md5.map(str::trim).filter(|m| !m.is_empty()) else {
        return Ok(None);
    };
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text)
        .or_else(|_| base64::engine::general_purpose::URL_SAFE.decode(text))
        .map_err(|_| ApiError::invalid("md5", "must be the base64 of a 16-byte MD5 digest"))?;
    let digest: [u8; 16] = bytes
        .try_into()
        .map_err(|_| ApiError::invalid("md5", "must be the base64 of a 16-byte MD5 digest"))?;
    Ok(Some(digest))
}

/// Checks a part/chunk request against its session.
pub fn slot(
    session: &Session,
    part: Option<u64>,
    size: Option<u64>,
    offset: Option<u64>,
    fii: bool,
    md5: Option<&str>,
) -> ApiResult<Slot> {
    let part = part_number(part)?;
    let size = size.ok_or_else(|| ApiError::missing("size"))?;
    let range = |msg: String| ApiError::bad(ErrorCode::PartOutOfRange, msg);
    if size == 0 {
        return Err(range("a part or chunk must hold at least 1 byte".into()));
    }
    if size > MAX_PART_SIZE.min(session.size) {
        return Err(range(format!(
            "size {size} is larger than the file ({}) or the part limit ({MAX_PART_SIZE})",
            session.size
        )));
    }
    let offset = if fii { Some(offset.unwrap_or(0)) } else { None };
    if let Some(off) = offset {
        if off + size > MAX_PART_SIZE.min(session.size) {
            return Err(range(format!(
                "a chunk at offset {off} of {size} bytes runs past the end of its part"
            )));
        }
    }
    Ok(Slot {
        part,
        size,
        offset,
        md5: md5_digest(md5)?,
    })
}

/// Plans the commit of an intelligent part from its chunks: they must run back to back from
/// offset 0 (a chunk re-sent at an offset replaced the earlier one; chunks overlapped by a
/// later, smaller re-send are skipped). Returns the part's size and pieces.
pub fn plan_commit(part: u32, chunks: &[ChunkRecord]) -> ApiResult<PartRecord> {
    if chunks.is_empty() {
        return Err(ApiError::bad(
            ErrorCode::PartMissing,
            format!("no chunks were received for part {part}"),
        ));
    }
    let mut pos = 0;
    let mut pieces = Vec::new();
    for ch in chunks {
        if ch.offset == pos {
            pieces.push(Piece {
                id: ch.piece.clone(),
                size: ch.size,
            });
            pos += ch.size;
        } else if ch.offset > pos {
            return Err(ApiError::bad(
                ErrorCode::IncompleteUpload,
                format!(
                    "part {part} has a gap: bytes {pos}..{} were never received",
                    ch.offset
                ),
            ));
        }
    }
    Ok(PartRecord {
        part,
        size: pos,
        etag: None,
        pieces,
    })
}

fn bare_etag(etag: &str) -> String {
    etag.trim()
        .trim_start_matches("W/")
        .trim_matches('"')
        .to_ascii_lowercase()
}

/// Plans the assembly of a file at complete. `listed` are the parts named with ETags; with
/// intelligent ingestion (`fii`) every committed part counts too, so the mixed case works.
/// Parts must be numbered 1..=N without gaps and add up to the session's size.
pub fn plan_complete(
    session: &Session,
    recorded: &[PartRecord],
    listed: Option<&[PartRef]>,
    fii: bool,
) -> ApiResult<Vec<Piece>> {
    let mut chosen: Vec<&PartRecord> = Vec::new();
    let listed = listed.unwrap_or_default();
    for r in listed {
        let found = recorded.iter().find(|p| u64::from(p.part) == r.part_number);
        match found {
            Some(p) if p.etag.as_deref().is_none_or(|e| e == bare_etag(&r.etag)) => {
                if !chosen.iter().any(|c| c.part == p.part) {
                    chosen.push(p);
                }
            }
            Some(_) => {
                return Err(ApiError::bad(
                    ErrorCode::PartMissing,
                    format!(
                        "part {} has ETag {:?} on the server, not {:?}",
                        r.part_number,
                        found.and_then(|p| p.etag.clone()).unwrap_or_default(),
                        r.etag
                    ),
                ));
            }
            None => {
                return Err(ApiError::bad(
                    ErrorCode::PartMissing,
                    format!("part {} was never uploaded", r.part_number),
                ));
            }
        }
    }
    for p in recorded {
        let committed = p.etag.is_none();
        let take = if listed.is_empty() {
            fii || session.fii || !committed
        } else {
            committed && (fii || session.fii)
        };
        if take && !chosen.iter().any(|c| c.part == p.part) {
            chosen.push(p);
        }
    }
    chosen.sort_by_key(|p| p.part);
    for (i, p) in chosen.iter().enumerate() {
        if p.part as usize != i + 1 {
            return Err(ApiError::bad(
                ErrorCode::IncompleteUpload,
                format!("part {} was never uploaded (or committed)", i + 1),
            ));
        }
    }
    let total: u64 = chosen.iter().map(|p| p.size).sum();
    if total != session.size {
        return Err(ApiError::bad(
            ErrorCode::IncompleteUpload,
            format!(
                "the {} parts received hold {total} bytes but the file is {} bytes",
                chosen.len(),
                session.size
            ),
        ));
    }
    Ok(chosen
        .into_iter()
        .flat_map(|p| p.pieces.iter().cloned())
        .collect())
}

/// Whether a held complete (`await_parts`) should still wait for parts, rather than answer
/// from `recorded` now: some `listed` part number is not recorded yet; or the parts complete
/// would take do not yet add up to the file: with `fii` every recorded part (committed ones
/// too, as [`plan_complete`] takes them), without a list the regular ones (those with an ETag).
/// A listed part recorded with another ETag is not waited for: the client lists other bytes
/// than the server holds, and [`plan_complete`] refuses that at once.
pub fn parts_awaited(
    session: &Session,
    recorded: &[PartRecord],
    listed: Option<&[PartRef]>,
    fii: bool,
) -> bool {
    let listed = listed.unwrap_or_default();
    let mut missing = false;
    for r in listed {
        match recorded.iter().find(|p| u64::from(p.part) == r.part_number) {
            None => missing = true,
            Some(p) if p.etag.as_deref().is_some_and(|e| e != bare_etag(&r.etag)) => return false,
            Some(_) => {}
        }
    }
    if missing {
        return true;
    }
    let held: u64 = recorded
        .iter()
        .filter(|p| fii || p.etag.is_some())
        .map(|p| p.size)
        .sum();
    (fii || listed.is_empty()) && held < session.size
}

/// The ETags of a direct upload's parts 1, 2, … in that order, from the parts a complete
/// `listed` (in any order) and the sizes their URLs were `asked` for. Every number from 1 to
/// the highest must be listed once (the storage would join the parts around a gap), and the
/// sizes must add up to the file's: checked here, since the storage's complete cannot be
/// undone. The storage still checks the ETags and what was really sent.
pub fn plan_direct(
    session: &Session,
    listed: Option<&[PartRef]>,
    asked: &[PartRecord],
) -> ApiResult<Vec<String>> {
    let listed = listed.unwrap_or_default();
    if listed.is_empty() {
        return Err(ApiError::bad(
            ErrorCode::PartMissing,
            "complete must list the parts sent, each with the ETag its PUT answered",
        ));
    }
    let mut by_number: Vec<&PartRef> = listed.iter().collect();
    by_number.sort_by_key(|p| p.part_number);
    let mut etags = Vec::with_capacity(by_number.len());
    let mut total = 0u64;
    for (i, p) in by_number.iter().enumerate() {
        let want = i as u64 + 1;
        if p.part_number != want {
            let what = if p.part_number < want {
                format!("part {} is listed twice", p.part_number)
            } else {
                format!("part {want} is not listed")
            };
            return Err(ApiError::bad(ErrorCode::PartMissing, what));
        }
        let size = asked
            .iter()
            .find(|r| u64::from(r.part) == want)
            .map(|r| r.size)
            .ok_or_else(|| {
                ApiError::bad(
                    ErrorCode::PartMissing,
                    format!("part {want} was never uploaded"),
                )
            })?;
        total += size;
        etags.push(p.etag.trim().to_owned());
    }
    if total != session.size {
        return Err(ApiError::bad(
            ErrorCode::IncompleteUpload,
            format!(
                "the {} parts listed hold {total} bytes but the file is {} bytes",
                etags.len(),
                session.size
            ),
        ));
    }
    Ok(etags)
}

#[cfg(test)]
mod tests;
