//! The `[state] url` of the `postgres` state: parsing it, describing it without its password,
//! and the start-up errors that name it.

use super::CONNECT_TIMEOUT;
use crate::fetch::error_chain;

/// Why the `postgres` state cannot start. Each message names the config key and never holds
/// the URL's password.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PostgresOpenError {
    /// `url` does not parse.
    #[error("[state] url is not a PostgreSQL connection URL: {cause}")]
    BadUrl {
        /// Why.
        cause: String,
    },
    /// `url` asks for something this build cannot do.
    #[error("[state] url ({target}): {cause}")]
    Unsupported {
        /// The database, without the password.
        target: String,
        /// What.
        cause: String,
    },
    /// The database cannot be reached, or refused the login.
    #[error("[state] url ({target}): cannot connect: {cause}")]
    Connect {
        /// The database, without the password.
        target: String,
        /// Why.
        cause: String,
    },
    /// A migration failed.
    #[error("[state] url ({target}): cannot update the database schema: {cause}")]
    Migrate {
        /// The database, without the password.
        target: String,
        /// Why.
        cause: String,
    },
    /// The database was migrated by a newer skiff-server.
    #[error(
        "[state] url ({target}): the database has schema version {found}, newer than the {known} \
         this skiff-server knows; run the newer skiff-server"
    )]
    TooNew {
        /// The database, without the password.
        target: String,
        /// Its version.
        found: i32,
        /// The newest this build knows.
        known: i32,
    },
}

/// Parses `url` and fills in what the server relies on; returns it with its description.
pub(super) fn parse(url: &str) -> Result<(tokio_postgres::Config, String), PostgresOpenError> {
    let mut config: tokio_postgres::Config =
        url.parse().map_err(|e| PostgresOpenError::BadUrl {
            cause: scrub(&error_chain(&e), url),
        })?;
    let target = describe(&config);
    if config.get_ssl_mode() == tokio_postgres::config::SslMode::Require {
        return Err(PostgresOpenError::Unsupported {
            target,
            cause: "sslmode=require: this build connects without TLS; reach the database over \
                    a private network or a local socket"
                .into(),
        });
    }
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(CONNECT_TIMEOUT);
    }
    if config.get_application_name().is_none() {
        config.application_name("skiff-server");
    }
    Ok((config, target))
}

/// `postgres://user@host:port/database`, from the parsed URL: never the password.
fn describe(config: &tokio_postgres::Config) -> String {
    use tokio_postgres::config::Host;
    let hosts: Vec<String> = config
        .get_hosts()
        .iter()
        .enumerate()
        .map(|(i, host)| {
            let name = match host {
                Host::Tcp(name) => name.clone(),
                #[cfg(unix)]
                Host::Unix(path) => path.display().to_string(),
            };
            // One port for every host, or one each; PostgreSQL's own when none is given.
            let ports = config.get_ports();
            let port = ports.get(i).or(ports.first()).copied().unwrap_or(5432);
            format!("{name}:{port}")
        })
        .collect();
    let user = config
        .get_user()
        .map(|u| format!("{u}@"))
        .unwrap_or_default();
    let db = config.get_dbname().unwrap_or_default();
    format!("postgres://{user}{}/{db}", hosts.join(","))
}

/// `text` with the password of `url` (URL or `key=value` form) masked, in case a parser or the
/// server ever quotes it back.
fn scrub(text: &str, url: &str) -> String {
    let mut secrets: Vec<String> = Vec::new();
    if let Some(pw) = url::Url::parse(url)
        .ok()
        .and_then(|u| u.password().map(str::to_owned))
    {
        let decoded = percent_encoding::percent_decode_str(&pw)
            .decode_utf8_lossy()
            .into_owned();
        secrets.push(decoded);
        secrets.push(pw);
    }
    for word in url.split_whitespace() {
        if let Some(pw) = word.strip_prefix("password=") {
            secrets.push(pw.trim_matches('\'').to_owned());
        }
    }
    let mut out = text.to_owned();
    for secret in secrets.iter().filter(|s| !s.is_empty()) {
        out = out.replace(secret.as_str(), "***");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_never_hold_the_password() {
        let url = "postgres://skiff:s%40cret@db.example:5433/uploads";
        let (_, target) = parse(url).unwrap();
        assert_eq!(target, "postgres://skiff@db.example:5433/uploads");
        assert_eq!(scrub("saw s@cret and s%40cret", url), "saw *** and ***");
        let kv = "host=db user=skiff password=hunter2 dbname=uploads";
        assert_eq!(parse(kv).unwrap().1, "postgres://skiff@db:5432/uploads");
        assert_eq!(scrub("hunter2!", kv), "***!");
        let err = parse("postgres://skiff:hunter2@db:notaport/x").unwrap_err();
        let text = err.to_string();
        assert!(
            text.starts_with("[state] url") && !text.contains("hunter2"),
            "{text}"
        );
        let err = parse("postgres://u:hunter2@db/x?sslmode=require").unwrap_err();
        assert!(err.to_string().contains("sslmode=require"), "{err}");
    }
}
