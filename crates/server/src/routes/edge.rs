//! A session's calls belong at the edge that began it: its staged bytes are in that edge's
//! storage (`location_url`, docs/protocol.md §3.2). Every route that touches them finds them
//! here, or refuses the call with a clear answer.

use crate::AppState;
use crate::error::{ApiError, ApiResult};
use crate::state::Session;
use axum::http::StatusCode;
use skiff_protocol::ErrorCode;

/// Where the staged bytes of `sess` are; a clear refusal when it began at another edge (its
/// calls belong at the `location_url` its start answered).
pub(super) fn upload_storage<'a>(
    state: &'a AppState,
    sess: &Session,
) -> ApiResult<&'a dyn crate::storage::Storage> {
    state.upload_storage(sess).map_err(|region| {
        ApiError::new(
            StatusCode::MISDIRECTED_REQUEST,
            ErrorCode::WrongEdge,
            format!(
                "upload {:?} began at the edge of region {region:?}, which holds its bytes: \
                 send its calls to the location_url its start answered",
                sess.id
            ),
        )
    })
}
