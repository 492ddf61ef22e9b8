//! Runs a parsed command into its output and exit code. File reading happens here, nowhere else.

use std::fs;
use std::io::IsTerminal as _;

use std::path::{Path, PathBuf};
use tracing_subscriber::Layer as _;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;

use clap::CommandFactory as _;
use entitle_audit::docs::generated_docs;
use entitle_audit::render::Format;
use entitle_audit::verify::{Progress, verify};
use entitle_audit::{Actor, Export, Header, LifecycleTable, LoadError, diff::diff, render};
use entitle_core::{ApiVersion, InvalidInput, Operation, RequestStatus, VariantArray};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use entitle_auth::{TokenRequest, mint_demo};
use entitle_core::{SubjectId, Timestamp};
use entitle_graph::tenant::parse_tenant;
use entitle_server::ServeOptions;
use entitle_server::tls::TlsSource;
use entitle_store::Directory;

use crate::args::{
    Api, Cli, Command, ExportFormat, FailOn, HttpsArgs, LogFormat, ReportFormat, ServeArgs,
    TableSource, TokenArgs, WhoFormat,
};
use crate::check::check;
use crate::who::{self, Question, who};
use crate::{SOURCE_COMMIT, VERSION};

/// What a command produced: text for standard output (or `--output`) and its exit code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// The text to print.
    pub text: String,
    /// 0 for success or allowed; 1 for rejected, failed or new access.
    pub code: u8,
}

impl Outcome {
    fn success(text: String) -> Self {
        Self { text, code: 0 }
    }

    fn judged(text: String, good: bool) -> Self {
        Self {
            text,
            code: u8::from(!good),
        }
    }
}

/// Why a command could not run: bad input, exit code 2.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// A file could not be read.
    #[error("cannot read `{path}`: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A file could not be written.
    #[error("cannot write `{path}`: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A table file is not a valid export.
    #[error("`{path}`: {source}")]
    Load {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        source: LoadError,
    },
    /// A value on the command line is not one entitle knows.
    #[error(transparent)]
    Invalid(#[from] InvalidInput),
    /// A tenant file entitle cannot read.
    #[error("invalid tenant file `{path}`: {reason}")]
    Tenant {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// A value could not be written as JSON.
    #[error("cannot write JSON: {0}")]
    Json(String),
    /// An actor name entitle does not know.
    #[error("unknown actor `{0}`: expected one of {actors}", actors = actor_names())]
    UnknownActor(String),
    /// An operation whose answer depends on the request's status, asked without one.
    #[error("`{0}` depends on the request's status: give it with `--status`")]
    MissingStatus(Operation),
    /// Rendering into a string failed.
    #[error("cannot render: {0}")]
    Render(#[from] std::fmt::Error),
    /// The server could not start or stopped with an error.
    #[error(transparent)]
    Serve(#[from] entitle_server::ServeError),
    /// A token could not be minted.
    #[error(transparent)]
    Token(#[from] entitle_auth::AuthError),
    /// A date-time on the command line is not RFC 3339.
    #[error("`--frozen-clock`: {0}")]
    DateTime(#[from] entitle_graph::datetime::InvalidDateTime),
    /// Spans cannot be exported to the OTLP endpoint given.
    #[cfg(feature = "otlp")]
    #[error(transparent)]
    Otlp(#[from] crate::otlp::OtlpError),
}

fn actor_names() -> String {
    let names: Vec<&str> = Actor::VARIANTS.iter().map(|actor| actor.as_str()).collect();
    names.join(", ")
}

fn read(path: &Path) -> Result<String, CliError> {
    fs::read_to_string(path).map_err(|source| CliError::Read {
        path: path.to_owned(),
        source,
    })
}

/// Loads a JSON export from `path`.
///
/// # Errors
/// When the file cannot be read or is not a valid export.
pub fn load(path: &Path) -> Result<LifecycleTable, CliError> {
    Export::from_json(&read(path)?)
        .map(|export| export.table)
        .map_err(|source| CliError::Load {
            path: path.to_owned(),
            source,
        })
}

/// `entitle who`: the grants of one tenant, filtered, in `format`.
fn who_command(
    tenant: &Path,
    package: Option<String>,
    action: Option<&str>,
    status: Option<&str>,
    format: WhoFormat,
) -> Result<Outcome, CliError> {
    let question = Question {
        package,
        operation: action.map(Operation::parse).transpose()?,
        status: status.map(RequestStatus::parse).transpose()?,
    };
    let grants = who(&load_tenant(tenant)?, &question);
    let text = match format {
        WhoFormat::Md => who::to_markdown(&grants),
        WhoFormat::Csv => who::to_csv(&grants),
        WhoFormat::Json => json(&grants)?,
    };
    Ok(Outcome::success(text))
}

/// `entitle table` and `entitle matrix`: the table of `source` rendered by `render` in `format`.
fn rendered(
    source: &TableSource,
    format: ExportFormat,
    api: Api,
    render: fn(&LifecycleTable, Format, ApiVersion, &Header) -> String,
) -> Result<Outcome, CliError> {
    let table = table_from(source)?;
    Ok(Outcome::success(render(
        &table,
        format.into(),
        api.into(),
        &header(&table),
    )))
}

/// `entitle diff`: what changed between two exports of the lifecycle table.
fn diff_exports(
    old: &Path,
    new: &Path,
    fail_on: Option<FailOn>,
    format: ReportFormat,
) -> Result<Outcome, CliError> {
    let difference = diff(&load(old)?, &load(new)?);
    let text = match format {
        ReportFormat::Text => difference.to_text(),
        ReportFormat::Json => difference.to_json(),
    };
    let fails = fail_on == Some(FailOn::NewAccess) && difference.grants_new_access();
    Ok(Outcome::judged(text, !fails))
}

/// `entitle diff --tenant`: who gained and who lost access between two tenant files.
fn diff_tenants(
    old: &Path,
    new: &Path,
    fail_on: Option<FailOn>,
    format: ReportFormat,
) -> Result<Outcome, CliError> {
    let everything = Question::default();
    let change = who::compare(
        &who(&load_tenant(old)?, &everything),
        &who(&load_tenant(new)?, &everything),
    );
    let text = match format {
        ReportFormat::Text => change.to_text(),
        ReportFormat::Json => json(&change)?,
    };
    let fails = fail_on == Some(FailOn::NewAccess) && !change.gained.is_empty();
    Ok(Outcome::judged(text, !fails))
}

/// Reads a tenant file as `serve --tenant` does.
fn load_tenant(path: &Path) -> Result<Directory, CliError> {
    let invalid = |reason: String| CliError::Tenant {
        path: path.to_owned(),
        reason,
    };
    let document = parse_tenant(&read(path)?).map_err(|error| invalid(error.to_string()))?;
    Directory::from_document(document, Timestamp(0)).map_err(|error| invalid(error.to_string()))
}

/// `value` as pretty JSON, with a final newline.
fn json(value: &impl serde::Serialize) -> Result<String, CliError> {
    serde_json::to_string_pretty(value)
        .map(|text| text + "\n")
        .map_err(|error| CliError::Json(error.to_string()))
}

fn table_from(source: &TableSource) -> Result<LifecycleTable, CliError> {
    source
        .file
        .as_deref()
        .map_or_else(|| Ok(LifecycleTable::builtin()), load)
}

fn header(table: &LifecycleTable) -> Header {
    Header::new(table, VERSION, SOURCE_COMMIT)
}

/// Runs `cli`'s command.
///
/// # Errors
/// A [`CliError`] for bad input; every decision is in the [`Outcome`].
pub fn run(cli: &Cli) -> Result<Outcome, CliError> {
    match &cli.command {
        Command::Table {
            format,
            api,
            source,
            ..
        } => rendered(source, *format, *api, render::table),
        Command::Matrix {
            format,
            api,
            source,
            ..
        } => rendered(source, *format, *api, render::matrix),
        Command::Check {
            operation,
            status,
            actor,
            format,
            source,
            ..
        } => {
            let operation = Operation::parse(operation)?;
            let status = status.as_deref().map(RequestStatus::parse).transpose()?;
            if operation.depends_on_status() && status.is_none() {
                return Err(CliError::MissingStatus(operation));
            }
            let actor = actor
                .as_deref()
                .map(|name| {
                    Actor::parse(name).ok_or_else(|| CliError::UnknownActor(name.to_owned()))
                })
                .transpose()?;
            let verdict = check(&table_from(source)?, operation, status, actor);
            let text = match format {
                ReportFormat::Text => verdict.to_text(),
                ReportFormat::Json => verdict.to_json(),
            };
            Ok(Outcome::judged(text, verdict.allowed))
        }
        Command::Verify { format, source, .. } => {
            let table = table_from(source)?;
            let report = with_progress(|progress| verify(&table, progress));
            let text = match format {
                ReportFormat::Text => report.to_text(),
                ReportFormat::Json => report.to_json(),
            };
            Ok(Outcome::judged(text, report.passed()))
        }
        Command::Who {
            tenant,
            package,
            action,
            status,
            format,
            ..
        } => who_command(
            tenant,
            package.clone(),
            action.as_deref(),
            status.as_deref(),
            *format,
        ),
        Command::Diff {
            old,
            new,
            tenant: true,
            fail_on,
            format,
            ..
        } => diff_tenants(old, new, *fail_on, *format),
        Command::Diff {
            old,
            new,
            fail_on,
            format,
            ..
        } => diff_exports(old, new, *fail_on, *format),
        Command::Docs { dir, check } => docs(dir, *check),
        Command::Vectors { check, .. } => Ok(vectors(check.as_deref())),
        Command::Serve(args) => serve(args),
        Command::Token(args) => token(args),
        Command::Completions { shell, .. } => {
            let mut script = Vec::new();
            clap_complete::generate(*shell, &mut Cli::command(), "entitle", &mut script);
            Ok(Outcome::success(
                String::from_utf8_lossy(&script).into_owned(),
            ))
        }
    }
}

/// Runs the server until SIGTERM or SIGINT.
/// Where `serve`'s certificate comes from: the given files, or the local authority next to the
/// database.
fn tls_source(args: &HttpsArgs, db: &Path) -> Option<TlsSource> {
    if let (Some(cert), Some(key)) = (&args.tls_cert, &args.tls_key) {
        return Some(TlsSource::Files {
            cert: cert.clone(),
            key: key.clone(),
        });
    }
    args.tls.then(|| TlsSource::Local {
        dir: match db.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
            _ => PathBuf::from("."),
        },
        names: args.tls_name.clone(),
    })
}

fn serve(args: &ServeArgs) -> Result<Outcome, CliError> {
    let frozen_clock = args
        .frozen_clock
        .as_deref()
        .map(entitle_graph::datetime::parse)
        .transpose()?;
    let options = ServeOptions {
        db: args.db.clone(),
        database_url: args.database_url.clone(),
        pool_size: args.pool_size,
        listen: args.listen,
        tenant: args.tenant.clone(),
        demo: args.demo,
        jwks: args.jwks.clone(),
        issuer: args.issuer.clone(),
        audience: args.audience.clone(),
        tenant_id: args.tenant_id.clone(),
        frozen_clock,
        control_api: args.control_api,
        sweep_every: std::time::Duration::from_secs(1),
        rate_limit_per_second: args.rate_limit,
        rate_limit_burst: args.rate_limit_burst,
        max_in_flight: args.max_in_flight,
        request_timeout_seconds: args.request_timeout,
        max_connections: args.max_connections,
        tls: tls_source(&args.https, &args.db),
        public_url: args.https.public_url.clone(),
        trust_forwarded: args.https.trust_forwarded,
    };
    let traces = init_logs(args)?;
    let served = entitle_server::run(&options);
    traces.flush();
    served?;
    Ok(Outcome::success(String::new()))
}

/// Spans still to be sent when the server stops.
#[derive(Default)]
struct Traces(#[cfg(feature = "otlp")] Option<opentelemetry_sdk::trace::SdkTracerProvider>);

impl Traces {
    /// Sends what is left and stops exporting.
    #[cfg_attr(
        not(feature = "otlp"),
        expect(
            clippy::unused_self,
            reason = "without the otlp feature nothing is exported"
        )
    )]
    fn flush(self) {
        #[cfg(feature = "otlp")]
        if let Some(provider) = self.0 {
            let _ = provider.shutdown();
        }
    }
}

/// Logs to standard error in `--log-format`, at the level `ENTITLE_LOG` names (default `info`); with
/// the `otlp` feature and `--otlp-endpoint`, exports the spans too.
#[cfg_attr(
    not(feature = "otlp"),
    expect(clippy::unnecessary_wraps, reason = "only the otlp export can fail")
)]
fn init_logs(args: &ServeArgs) -> Result<Traces, CliError> {
    let filter = tracing_subscriber::EnvFilter::try_from_env("ENTITLE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let logs = tracing_subscriber::fmt::layer().with_writer(std::io::stderr);
    let logs = match args.log_format {
        LogFormat::Text => logs.with_ansi(std::io::stderr().is_terminal()).boxed(),
        LogFormat::Json => logs
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .boxed(),
    };
    let subscriber = tracing_subscriber::registry().with(filter).with(logs);
    #[cfg(feature = "otlp")]
    if let Some(endpoint) = &args.otlp_endpoint {
        let (spans, provider) = crate::otlp::layer(endpoint)?;
        let _ = subscriber.with(spans).try_init();
        return Ok(Traces(Some(provider)));
    }
    let _ = subscriber.try_init();
    Ok(Traces::default())
}

/// Splits a list given with spaces or commas.
fn words(text: &str) -> Vec<String> {
    text.split([' ', ','])
        .filter(|word| !word.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Mints a demo token.
fn token(args: &TokenArgs) -> Result<Outcome, CliError> {
    let issued_at = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs())
        .unwrap_or_default();
    let request = TokenRequest {
        oid: SubjectId::parse(&args.oid)?,
        scopes: words(&args.scp),
        wids: words(&args.wids),
        app: args.app,
        tenant: args.tenant.clone(),
        issued_at,
        lifetime_seconds: args.lifetime,
    };
    Ok(Outcome::success(format!("{}\n", mint_demo(&request)?)))
}

/// Every generated document: the lifecycle documents and the list of error codes.
fn all_docs() -> Result<Vec<(&'static str, String)>, CliError> {
    let mut docs: Vec<(&'static str, String)> =
        generated_docs(&LifecycleTable::builtin(), VERSION)?
            .into_iter()
            .map(|doc| (doc.name, doc.text))
            .collect();
    docs.push(("errors.md", entitle_server::error_docs::errors_markdown()?));
    Ok(docs)
}

/// Writes (or with `check`, compares) the generated documents in `dir`.
fn docs(dir: &Path, check: bool) -> Result<Outcome, CliError> {
    let mut stale = Vec::new();
    for (name, text) in all_docs()? {
        let path = dir.join(name);
        if check {
            if fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
                stale.push(path.display().to_string());
            }
        } else {
            fs::write(&path, &text).map_err(|source| CliError::Write {
                path: path.clone(),
                source,
            })?;
        }
    }
    if stale.is_empty() {
        Ok(Outcome::success(String::new()))
    } else {
        Ok(Outcome::judged(
            format!("stale: {} (run `just docs`)\n", stale.join(", ")),
            false,
        ))
    }
}

/// `entitle vectors`: the conformance vectors, or with `check`, whether that file holds them.
fn vectors(check: Option<&Path>) -> Outcome {
    let text = entitle_audit::vectors::generate(VERSION).to_json();
    match check {
        None => Outcome::success(text),
        Some(path) => {
            let fresh = fs::read_to_string(path).ok().as_deref() == Some(text.as_str());
            let report = if fresh {
                String::new()
            } else {
                format!("stale: {} (run `just vectors`)\n", path.display())
            };
            Outcome::judged(report, fresh)
        }
    }
}

/// Runs `work` with a progress bar on standard error when it is a terminal.
fn with_progress<T>(work: impl FnOnce(&mut dyn FnMut(Progress)) -> T) -> T {
    let bar = if std::io::stderr().is_terminal() {
        ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr())
    } else {
        ProgressBar::hidden()
    };
    if let Ok(style) = ProgressStyle::with_template("verifying {bar:30} {pos}/{len}") {
        bar.set_style(style);
    }
    let result = work(&mut |progress: Progress| {
        bar.set_length(u64::try_from(progress.total).unwrap_or(u64::MAX));
        bar.set_position(u64::try_from(progress.done).unwrap_or(u64::MAX));
    });
    bar.finish_and_clear();
    result
}
