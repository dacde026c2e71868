//! The Cloud API as the picker speaks it (docs/protocol.md §7.2–§7.3): the JSON bodies of
//! `/folder/list`, `/store/`, `/auth/logout` and `/cloud/auth/status`, and typed values read from
//! their answers. JSON stays here, at the edge; the picker works with [`Listing`], [`CloudItem`],
//! [`AuthState`] and [`ImportProgress`].

use super::CloudSource;
use serde_json::{Map, Value, json};
use skiff_protocol::UploadTags;

/// What every call names: the app, its picker session, its security policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    /// The app's key.
    pub apikey: String,
    /// The picker session token the server handed out (none before the first listing).
    pub token: Option<String>,
    /// `(policy, signature)` when the app signs its calls.
    pub security: Option<(String, String)>,
}

/// `customSourcePath` / `customSourceContainer` (the `customsource` bucket's root and bucket).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CustomSource {
    /// The picker's name for it (`customSourceName`).
    pub name: Option<String>,
    /// A folder of the bucket shown as its root (`folder/`).
    pub path: Option<String>,
    /// The bucket, which the server checks against its own.
    pub container: Option<String>,
}

impl Call {
    fn body(&self, clouds: Value) -> Value {
        let mut b = json!({ "apikey": self.apikey, "flow": "web", "clouds": clouds });
        if let Some(t) = &self.token {
            b["token"] = json!(t);
        }
        if let Some((p, s)) = &self.security {
            b["policy"] = json!(p);
            b["signature"] = json!(s);
        }
        b
    }
}

/// The request of one source: `{path, next?}` plus the custom source's root and bucket.
fn cloud(source: CloudSource, path: &str, custom: &CustomSource) -> Map<String, Value> {
    let mut c = Map::new();
    c.insert("path".into(), json!(path));
    if source == CloudSource::CustomSource {
        if let Some(p) = &custom.path {
            c.insert("customSourcePath".into(), json!(p));
        }
        if let Some(b) = &custom.container {
            c.insert("customSourceContainer".into(), json!(b));
        }
    }
    c
}

fn one(source: CloudSource, c: Map<String, Value>) -> Value {
    let mut clouds = Map::new();
    clouds.insert(source.name().into(), Value::Object(c));
    Value::Object(clouds)
}

/// `POST /folder/list` for one folder (`next`: the page after the last one read). `accept` are the
/// picker's `accept` rules as the server takes them (`image/*`, `.pdf`); `appurl` asks for the
/// sign-in to come back to this page instead of a popup.
pub fn list_body(
    call: &Call,
    source: CloudSource,
    path: &str,
    next: Option<&str>,
    accept: &[String],
    custom: &CustomSource,
    appurl: Option<&str>,
) -> Value {
    let mut c = cloud(source, path, custom);
    if let Some(n) = next.filter(|n| !n.is_empty()) {
        c.insert("next".into(), json!(n));
    }
    let mut b = call.body(one(source, c));
    if !accept.is_empty() {
        b["accept"] = json!(accept);
    }
    if let Some(u) = appurl {
        b["appurl"] = json!(u);
    }
    b
}

/// `POST /store/` of one file: `store` options as for uploads, the file's tags, and the id under
/// which the server reports the import's progress (a Skiff extension).
pub fn store_body(
    call: &Call,
    source: CloudSource,
    path: &str,
    store: &Value,
    tags: &UploadTags,
    import_id: &str,
    custom: &CustomSource,
) -> Value {
    let mut c = cloud(source, path, custom);
    c.insert("store".into(), store.clone());
    c.insert("import_id".into(), json!(import_id));
    let mut b = call.body(one(source, c));
    b["upload_tags"] = serde_json::to_value(tags).unwrap_or(Value::Null);
    b
}

/// `POST /auth/logout` of one source.
pub fn logout_body(call: &Call, source: CloudSource) -> Value {
    call.body(one(source, Map::new()))
}

/// `POST /cloud/auth/status` of one sign-in flow.
pub fn status_body(call: &Call, flow: &str) -> Value {
    let mut b = json!({ "apikey": call.apikey, "flow": flow });
    if let Some(t) = &call.token {
        b["token"] = json!(t);
    }
    b
}

/// One file or folder of a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloudItem {
    /// Its name.
    pub name: String,
    /// The opaque path `/store/` and `/folder/list` take back (folders end with `/`).
    pub path: String,
    /// Its type (`inode/directory` for folders).
    pub mimetype: String,
    /// A picture of it, when the source has one (not the server's generic icons).
    pub thumbnail: Option<String>,
    /// Bytes (0 for folders).
    pub size: u64,
    /// Whether it is a folder.
    pub folder: bool,
}

/// How the person signs in: the page to open, and the flow to ask about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthOffer {
    /// `/cloud/auth/{provider}/start?flow=…` on the server.
    pub redirect_url: String,
    /// The flow's id (for `/cloud/auth/status` and the popup's message).
    pub flow: String,
}

/// One page of a folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    /// The folder's name.
    pub folder: String,
    /// What it holds, on this page.
    pub items: Vec<CloudItem>,
    /// The next page's token; `None` on the last page.
    pub next: Option<String>,
    /// Who is signed in, for a source a person signs in to.
    pub account: Option<String>,
    /// Where the person chooses what this folder holds (Google Photos' picker page).
    pub pick_url: Option<String>,
}

/// What a listing answered for one source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Listing {
    /// The session is not signed in to this source.
    SignIn(AuthOffer),
    /// A page of the folder.
    Page(Page),
}

/// Reads the answer of `/folder/list` for `source`: the session token when the server handed out
/// a new one, and the listing. An error names what is missing.
pub fn parse_list(
    answer: &Value,
    source: CloudSource,
) -> Result<(Option<String>, Listing), String> {
    let token = answer
        .get("token")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let a = answer
        .get(source.name())
        .ok_or_else(|| format!("the answer has no \"{}\"", source.name()))?;
    let text = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
    if let Some(auth) = a.get("auth") {
        let redirect_url =
            text(auth, "redirect_url").ok_or("the sign-in offer has no redirect_url")?;
        let flow = text(auth, "flow").unwrap_or_default();
        return Ok((token, Listing::SignIn(AuthOffer { redirect_url, flow })));
    }
    let items = a
        .get("contents")
        .and_then(Value::as_array)
        .ok_or("the listing has no contents")?
        .iter()
        .filter_map(item)
        .collect();
    let page = Page {
        folder: text(a, "filename").unwrap_or_default(),
        items,
        next: text(a, "next").filter(|n| !n.is_empty()),
        account: text(a, "account"),
        pick_url: text(a, "pick_url"),
    };
    Ok((token, Listing::Page(page)))
}

/// The server's own icons (`/cloud/icons/…`) stand in for sources without pictures; the picker
/// draws its own.
fn server_icon(url: &str) -> bool {
    let folder = skiff_protocol::routes::CLOUD_ICON.trim_end_matches("{name}");
    url.contains(folder)
}

fn item(v: &Value) -> Option<CloudItem> {
    let name = v.get("name")?.as_str()?.to_owned();
    let path = v.get("path")?.as_str()?.to_owned();
    let folder = v.get("folder").and_then(Value::as_bool).unwrap_or(false);
    let thumbnail = v
        .get("thumbnail")
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty() && !server_icon(t))
        .map(str::to_owned);
    Some(CloudItem {
        name,
        path,
        mimetype: v
            .get("mimetype")
            .and_then(Value::as_str)
            .unwrap_or("application/octet-stream")
            .to_owned(),
        thumbnail,
        size: v.get("bytes").and_then(Value::as_u64).unwrap_or(0),
        folder,
    })
}

/// Reads the answer of `/store/` for `source`: the stored file as the picker keeps it (the JS
/// API's shape: `uploadTags`, `mimetype`).
pub fn parse_store(answer: &Value, source: CloudSource) -> Result<Value, String> {
    let mut f = answer
        .get(source.name())
        .filter(|f| f.get("handle").is_some())
        .cloned()
        .ok_or("the /store/ answer has no handle")?;
    if let Some(m) = f.as_object_mut() {
        let tags = m.remove("upload_tags").unwrap_or_else(|| json!({}));
        m.insert("uploadTags".into(), tags);
        if !m.contains_key("mimetype") {
            let t = m.get("type").cloned().unwrap_or(Value::Null);
            m.insert("mimetype".into(), t);
        }
    }
    Ok(f)
}

/// Where a sign-in flow is (`/cloud/auth/status`, or the popup's message).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthState {
    /// Not finished yet (`pending`, `started`).
    Waiting,
    /// Signed in.
    Done,
    /// The person said no at the provider.
    Denied,
    /// The flow ran out of time (or was used already).
    Expired,
    /// Anything else went wrong.
    Failed,
}

/// Reads a flow's `status` word.
pub fn auth_state(status: &str) -> AuthState {
    match status {
        "pending" | "started" => AuthState::Waiting,
        "done" => AuthState::Done,
        "denied" => AuthState::Denied,
        "expired" | "used" => AuthState::Expired,
        _ => AuthState::Failed,
    }
}

/// The popup's message, when it is one about `flow`: `{type: "skiff-auth", flow, status}`.
pub fn auth_message(data: &Value, flow: &str) -> Option<AuthState> {
    (data.get("type")?.as_str()? == "skiff-auth" && data.get("flow")?.as_str()? == flow)
        .then(|| auth_state(data.get("status").and_then(Value::as_str).unwrap_or("")))
}

/// How far an import is (`GET /cloud/imports/{id}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImportProgress {
    /// Bytes stored so far.
    pub bytes: u64,
    /// The file's size, when the source said.
    pub size: Option<u64>,
}

/// Reads an import's progress; `None` when the answer is not one.
pub fn parse_progress(answer: &Value) -> Option<ImportProgress> {
    Some(ImportProgress {
        bytes: answer.get("bytes")?.as_u64()?,
        size: answer.get("size").and_then(Value::as_u64),
    })
}

#[cfg(test)]
mod tests;
