//! The schema of the `postgres` state and the migrations that build it, applied at start.

use super::PostgresOpenError;
use crate::fetch::error_chain;
use tokio_postgres::NoTls;

/// Key of the advisory lock that serializes migrations ("skiff" in ASCII, then a 1): instances
/// starting at once take turns, and the later ones find the schema current.
const MIGRATION_LOCK: i64 = 0x736b_6966_6600_0001;

/// The schema's migrations, by version. Append only: a released migration never changes, since
/// databases that applied it will not run it again.
const MIGRATIONS: &[(i32, &str)] = &[
    (
        1,
        "
CREATE TABLE skiff_sessions (
    id TEXT PRIMARY KEY,
    record JSONB NOT NULL,
    expires_at BIGINT NOT NULL,
    completed TEXT,
    -- Until when a sweep has claimed this expired session (unix ms; 0: never claimed).
    sweep_until BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX skiff_sessions_expiry ON skiff_sessions (expires_at);
CREATE TABLE skiff_parts (
    upload TEXT NOT NULL,
    part BIGINT NOT NULL,
    record JSONB NOT NULL,
    PRIMARY KEY (upload, part)
);
CREATE TABLE skiff_chunks (
    upload TEXT NOT NULL,
    part BIGINT NOT NULL,
    byte_offset BIGINT NOT NULL,
    size BIGINT NOT NULL,
    piece TEXT NOT NULL,
    PRIMARY KEY (upload, part, byte_offset)
);
CREATE TABLE skiff_files (
    handle TEXT PRIMARY KEY,
    record JSONB NOT NULL
);
CREATE TABLE skiff_webhooks (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    hook JSONB NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',
    last_error TEXT
);
CREATE INDEX skiff_webhooks_due ON skiff_webhooks (next_at, id) WHERE state = 'pending';
",
    ),
    (
        2,
        "
CREATE TABLE skiff_keys (
    name TEXT PRIMARY KEY,
    value BYTEA NOT NULL
);
",
    ),
    (
        3,
        "
CREATE TABLE skiff_cloud_sessions (
    id TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    prev_hash TEXT,
    used_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    record JSONB NOT NULL
);
CREATE INDEX skiff_cloud_sessions_prev ON skiff_cloud_sessions (prev_hash);
CREATE TABLE skiff_cloud_flows (
    id TEXT PRIMARY KEY,
    session TEXT NOT NULL,
    provider TEXT NOT NULL,
    state_hash TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    record JSONB NOT NULL
);
CREATE INDEX skiff_cloud_flows_session ON skiff_cloud_flows (session, provider);
CREATE TABLE skiff_cloud_credentials (
    session TEXT NOT NULL,
    provider TEXT NOT NULL,
    record JSONB NOT NULL,
    PRIMARY KEY (session, provider)
);
",
    ),
    (
        4,
        "
CREATE TABLE skiff_transfers (
    handle TEXT PRIMARY KEY,
    dest TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_at BIGINT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',
    last_error TEXT
);
CREATE INDEX skiff_transfers_due ON skiff_transfers (next_at, handle) WHERE state = 'pending';
",
    ),
    (
        5,
        "
ALTER TABLE skiff_transfers ADD COLUMN holder TEXT;
CREATE INDEX skiff_sessions_handle ON skiff_sessions ((record->>'handle'));
",
    ),
];

/// The part-URL key: `fresh` if no instance stored one before, else the stored one. Every
/// instance on the database must sign and check part URLs with the same key, since the next
/// request of an upload may reach any of them.
async fn shared_key(
    client: &tokio_postgres::Client,
    fresh: &[u8],
) -> Result<Vec<u8>, tokio_postgres::Error> {
    client
        .execute(
            "INSERT INTO skiff_keys (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
            &[&PART_URL_KEY, &fresh],
        )
        .await?;
    let row = client
        .query_one(
            "SELECT value FROM skiff_keys WHERE name = $1",
            &[&PART_URL_KEY],
        )
        .await?;
    row.try_get(0)
}

/// Why [`migrate`] stopped.
pub(super) enum Migration {
    Db(tokio_postgres::Error),
    TooNew { found: i32, known: i32 },
}

impl From<tokio_postgres::Error> for Migration {
    fn from(e: tokio_postgres::Error) -> Self {
        Self::Db(e)
    }
}

/// Applies the missing migrations on `client`, in one transaction: all of them or none.
///
/// The transaction first takes [`MIGRATION_LOCK`] (released at commit or rollback), so a second
/// instance starting at the same time waits here, then reads the versions the first one
/// committed and applies nothing. DDL is transactional in PostgreSQL, so a crash halfway leaves
/// the schema as it was.
pub(super) async fn migrate(client: &mut tokio_postgres::Client) -> Result<usize, Migration> {
    let tx = client.transaction().await?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS skiff_schema (
             version INTEGER PRIMARY KEY,
             applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
         )",
    )
    .await?;
    let found: i32 = tx
        .query_one("SELECT COALESCE(MAX(version), 0) FROM skiff_schema", &[])
        .await?
        .try_get(0)?;
    let known = MIGRATIONS.last().map_or(0, |(v, _)| *v);
    if found > known {
        return Err(Migration::TooNew { found, known });
    }
    let mut applied = 0;
    for (version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > found) {
        tx.batch_execute(sql).await?;
        tx.execute("INSERT INTO skiff_schema (version) VALUES ($1)", &[version])
            .await?;
        applied += 1;
    }
    tx.commit().await?;
    Ok(applied)
}

/// The name of the key that signs part URLs in `skiff_keys`.
const PART_URL_KEY: &str = "part-urls";

/// Connects once on its own (not through the pool), migrates, reads the key every instance
/// signs part URLs with (the first instance stores `fresh`), and closes: the start-up check.
pub(super) async fn migrate_fresh(
    config: &tokio_postgres::Config,
    target: &str,
    fresh: &[u8],
) -> Result<Vec<u8>, PostgresOpenError> {
    let (mut client, connection) =
        config
            .connect(NoTls)
            .await
            .map_err(|e| PostgresOpenError::Connect {
                target: target.to_owned(),
                cause: error_chain(&e),
            })?;
    let driver = tokio::spawn(connection);
    let result = match migrate(&mut client).await {
        Ok(applied) => shared_key(&client, fresh)
            .await
            .map(|key| (applied, key))
            .map_err(Migration::Db),
        Err(e) => Err(e),
    };
    drop(client);
    let _ = driver.await;
    match result {
        Ok((applied, key)) => {
            if applied > 0 {
                tracing::info!(database = %target, applied, "database schema updated");
            }
            Ok(key)
        }
        Err(Migration::Db(e)) => Err(PostgresOpenError::Migrate {
            target: target.to_owned(),
            cause: error_chain(&e),
        }),
        Err(Migration::TooNew { found, known }) => Err(PostgresOpenError::TooNew {
            target: target.to_owned(),
            found,
            known,
        }),
    }
}
