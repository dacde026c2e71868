//! `skiff-server` binary: reads settings, opens the storage and state backends (by default a
//! local folder and SQLite), serves until SIGINT or SIGTERM, then finishes in-flight requests.
//!
//! Run: `skiff-server --listen 127.0.0.1:8080 --data ./data --app demo` (see `--help`).

use clap::Parser;
use skiff_server::config::{Args, Command};
use skiff_server::{AppState, app, tasks};
use std::process::ExitCode;
use std::time::Duration;
use tracing_subscriber::EnvFilter;

/// Colours only for a person at a terminal: logs written to a file, a pipe or a service manager's
/// journal would otherwise carry escape codes, and `NO_COLOR` (no-color.org) turns them off.
fn colour_logs() -> bool {
    use std::io::IsTerminal as _;
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    std::io::stderr().is_terminal() && !no_color
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,tower_http=warn"));
    if args.log_json {
        tracing_subscriber::fmt()
            .json()
            .with_writer(std::io::stderr)
            .with_env_filter(filter)
            .init();
    } else {
        // Logs go to stderr, as the README says, leaving stdout to what a command prints.
        tracing_subscriber::fmt()
            .with_writer(std::io::stderr)
            .with_ansi(colour_logs())
            .with_env_filter(filter)
            .init();
    }
    match run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("skiff-server: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    skiff_server::fetch::ensure_crypto_provider();
    let command = args.command.clone();
    let config = args.into_config()?;
    if let Some(Command::S3Setup(setup)) = command {
        let lines = skiff_server::s3_setup::run(&config, &setup).await?;
        for line in lines {
            println!("{line}");
        }
        return Ok(());
    }
    let state = AppState::open(config.clone())?;
    if let Some(Command::RetryTransfers) = command {
        let n = state.state().retry_failed_transfers(state.now_ms()).await?;
        println!("{n} given-up transfer(s) will be tried again by the running instances");
        return Ok(());
    }
    let orphans = tasks::collect_orphans(&state, std::time::SystemTime::now()).await;
    let expired = tasks::sweep_expired(&state).await;
    tracing::info!(orphans, expired, "storage checked");
    let background = tasks::spawn(&state);
    let router = app(state);

    let url = config.public_url();
    println!(
        "skiff-server listening on {} (public URL {url})",
        config.listen
    );
    println!("  data folder: {}", config.data.display());
    for a in &config.apps {
        let security = if a.secret.is_some() {
            "policy + signature required"
        } else {
            "open"
        };
        let hook = a
            .webhook_url
            .as_deref()
            .map(|u| format!(", webhooks to {u}"))
            .unwrap_or_default();
        println!("  app {:?}: {security}{hook}", a.key);
    }
    println!(
        "  filestack-js: client.session.urls.uploadApiUrl = '{url}' (see README for the other URLs)"
    );
    if let Some(dir) = &config.demo {
        println!("  demo page: {url}/demo/ (files from {})", dir.display());
    }

    if let (Some(cert), Some(key)) = (&config.tls_cert, &config.tls_key) {
        let tls = axum_server::tls_rustls::RustlsConfig::from_pem_file(cert, key)
            .await
            .map_err(|e| {
                format!(
                    "cannot load TLS certificate {} / key {}: {e}",
                    cert.display(),
                    key.display()
                )
            })?;
        let handle = axum_server::Handle::new();
        let h = handle.clone();
        tokio::spawn(async move {
            shutdown_signal().await;
            h.graceful_shutdown(Some(Duration::from_secs(30)));
        });
        axum_server::bind_rustls(config.listen, tls)
            .handle(handle)
            .serve(router.into_make_service())
            .await?;
    } else {
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .map_err(|e| format!("cannot listen on {}: {e}", config.listen))?;
        axum::serve(listener, router)
            .with_graceful_shutdown(shutdown_signal())
            .await?;
    }
    for task in background {
        task.abort();
    }
    tracing::info!("stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
    tracing::info!("shutting down: finishing requests in flight");
}
