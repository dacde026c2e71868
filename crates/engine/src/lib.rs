//! The sans-IO heart of every Skiff upload: it plans parts and chunks, adapts the chunk size to
//! the network, retries with backoff, bounds concurrency, and reports progress, without ever
//! touching a network, a clock, a file or the DOM.
//!
//! A driver feeds it inputs and performs its outputs:
//! - inputs: [`Engine::add_file`], [`Engine::handle`] (the outcome of a request it asked for),
//!   [`Engine::answered`] (its answer arrived, the outcome comes later), [`Engine::sent`] (upload
//!   progress of a request), [`Engine::digest`] (the MD5 of a range it hashed, which complete
//!   may list before that part's PUT has answered), [`Engine::tick`] (time passes),
//!   [`Engine::pause`], [`Engine::resume`], [`Engine::cancel`], [`Engine::set_connections`] (its
//!   share of the browser's connections when engines run side by side);
//! - outputs: [`Engine::poll`] yields requests to send (JSON calls, or PUTs of a byte range of
//!   a file), requests to abort, and events; [`Engine::deadline`] says when to call `tick` next.
//!
//! Time is milliseconds on any monotonic clock the driver chooses; randomness (backoff jitter)
//! comes from the seed given to [`Engine::new`].
//!
//! ```
//! use skiff_engine::{Engine, FileSpec, Options, Output, Outcome};
//!
//! let mut engine = Engine::new(Options::default(), 7);
//! let file = engine.add_file(FileSpec::new("https://up.example", "key", "a.txt", "text/plain", 5), 0);
//! let Some(Output::Send(req)) = engine.poll() else { panic!() };
//! assert!(req.url.ends_with("/multipart/start"));
//! # let _ = file;
//! ```

mod ahead;
mod backoff;
mod chunk;
mod connections;
mod digests;
mod early;
mod engine;
mod file;
mod grow;
mod handle;
mod id_map;
mod lanes;
mod options;
mod plan;
mod progress;
mod rejoin;
mod schedule;
mod types;
mod widen;
mod wire;

pub use backoff::Backoff;
pub use chunk::ChunkController;
pub use connections::share as connection_share;
pub use engine::Engine;
pub use file::Flow;
pub use id_map::IdMap;
pub use options::{Mode, OptionError, Options};
pub use plan::{PartPlan, plan_parts};
pub use rejoin::Checkpoint;
pub use types::{
    Body, Event, FileId, FileResult, FileSpec, Millis, Outcome, Output, ProgressInfo, Request,
    RequestId, RequestKind, UploadError,
};
