//! Command-line arguments.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use clap_complete::Shell;
use entitle_audit::render::Format;
use entitle_core::ApiVersion;

/// The exit codes, shown in `--help`.
const EXIT_CODES: &str = "Exit codes:\n  0  success; `check`: allowed; `verify`: every check passed\n  \
1  `check`: rejected; `verify`: a check failed; `diff --fail-on new-access`: NEW allows more; \
`docs --check`, `vectors --check`: a document is stale\n  2  bad input (arguments, unreadable or malformed files) or an unwritable output";

/// entitle: the verified lifecycle of a Microsoft Entra access package assignment request.
#[derive(Debug, Parser)]
#[command(name = "entitle", version, about, long_about = None, after_help = EXIT_CODES)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Where a command's output goes.
#[derive(Debug, Args)]
pub struct Output {
    /// Write the output to this file instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// Where the table comes from: the built-in one, or a JSON export.
#[derive(Debug, Args)]
pub struct TableSource {
    /// Use the table in this JSON export (from `entitle table --format json`) instead of the built-in.
    #[arg(long = "table", value_name = "FILE")]
    pub file: Option<PathBuf>,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print the transition table, the request types and the assignment table, with a provenance
    /// header (CSV: the request transitions only).
    #[command(after_help = EXIT_CODES)]
    Table {
        /// The output format.
        #[arg(long, value_enum, default_value_t = ExportFormat::Md)]
        format: ExportFormat,
        /// The Graph version whose spellings to use (JSON is always canonical).
        #[arg(long, value_enum, default_value_t = Api::V1)]
        api: Api,
        /// The table to print.
        #[command(flatten)]
        source: TableSource,
        /// Where to write.
        #[command(flatten)]
        output: Output,
    },
    /// Print the authority matrix: actor × operation, and status × actor for `delete` and the actions,
    /// with Graph permissions and roles.
    #[command(after_help = EXIT_CODES)]
    Matrix {
        /// The output format.
        #[arg(long, value_enum, default_value_t = ExportFormat::Md)]
        format: ExportFormat,
        /// The Graph version whose spellings to use (JSON is always canonical).
        #[arg(long, value_enum, default_value_t = Api::V1)]
        api: Api,
        /// The table to print.
        #[command(flatten)]
        source: TableSource,
        /// Where to write.
        #[command(flatten)]
        output: Output,
    },
    /// Decide one operation: allowed or rejected, with the rule or row behind it and its provenance.
    #[command(after_help = EXIT_CODES)]
    Check {
        /// The operation: an action such as `cancel`, `approve` or `reprocess`; `delete`; `get`,
        /// `list`, `filterByCurrentUser` or `readStages`; or `create:TYPE`, such as
        /// `create:adminAdd` (any case).
        operation: String,
        /// The request's status, such as `PendingApproval` (any case; `cancelled` and `Fulfilled`
        /// too). Required for the actions and `delete`, whose answer depends on it; the other
        /// operations never look at it.
        #[arg(long)]
        status: Option<String>,
        /// Who asks: requestor-own, requestor-other, approver, catalog-reader, assignment-manager,
        /// package-manager, catalog-owner, identity-governance-administrator, application or
        /// system. Without it, only the table is consulted.
        #[arg(long)]
        actor: Option<String>,
        /// The output format.
        #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
        format: ReportFormat,
        /// The table to decide with.
        #[command(flatten)]
        source: TableSource,
        /// Where to write.
        #[command(flatten)]
        output: Output,
    },
    /// Run the structural checks over a table: PASS/FAIL per check, with counterexamples.
    #[command(after_help = EXIT_CODES)]
    Verify {
        /// The output format.
        #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
        format: ReportFormat,
        /// The table to check.
        #[command(flatten)]
        source: TableSource,
        /// Where to write.
        #[command(flatten)]
        output: Output,
    },
    /// In one tenant file, who may act on a request of each access package, policy and status:
    /// named users, groups, directory roles, applications and the request's parties, with the rule
    /// and its provenance.
    #[command(after_help = EXIT_CODES)]
    Who {
        /// The tenant file, as `serve --tenant` reads it (docs/tenant.md).
        #[arg(long, value_name = "FILE")]
        tenant: PathBuf,
        /// Only this access package: its id, or its name or part of it (any case).
        #[arg(long)]
        package: Option<String>,
        /// Only this operation, such as `cancel`, `approve` or `get`.
        #[arg(long)]
        action: Option<String>,
        /// Only this status, such as `PendingApproval`.
        #[arg(long)]
        status: Option<String>,
        /// The output format.
        #[arg(long, value_enum, default_value_t = WhoFormat::Md)]
        format: WhoFormat,
        /// Where to write.
        #[command(flatten)]
        output: Output,
    },
    /// Compare two JSON exports: transitions, authority, request types and the assignment table,
    /// and new access per operation. With `--tenant`, compare two tenant files: who gained and who
    /// lost access.
    #[command(after_help = EXIT_CODES)]
    Diff {
        /// The older export (with `--tenant`, the older tenant file).
        old: PathBuf,
        /// The newer export (with `--tenant`, the newer tenant file).
        new: PathBuf,
        /// OLD and NEW are tenant files (docs/tenant.md).
        #[arg(long)]
        tenant: bool,
        /// Exit with 1 when NEW allows anything OLD did not.
        #[arg(long, value_enum)]
        fail_on: Option<FailOn>,
        /// The output format.
        #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
        format: ReportFormat,
        /// Where to write.
        #[command(flatten)]
        output: Output,
    },
    /// Write the generated documents (transitions.md, authority.md, lifecycle.dot, errors.md) into a folder.
    #[command(after_help = EXIT_CODES)]
    Docs {
        /// The folder to write into.
        #[arg(long, default_value = "docs", value_name = "DIR")]
        dir: PathBuf,
        /// Write nothing; exit with 1 when a document in the folder is stale.
        #[arg(long)]
        check: bool,
    },
    /// Write the conformance vectors: status strings and actions asked of requests by callers at
    /// instants around each deadline, with entitle-core's outcome (docs/vectors.md).
    #[command(after_help = EXIT_CODES)]
    Vectors {
        /// Write nothing; exit with 1 when this file is not the vectors entitle writes.
        #[arg(long, value_name = "FILE", conflicts_with = "output")]
        check: Option<PathBuf>,
        /// Where to write.
        #[command(flatten)]
        output: Output,
    },
    /// Serve the Microsoft Graph assignment-request API on HTTP, deciding with entitle-core.
    #[command(after_help = EXIT_CODES)]
    Serve(Box<ServeArgs>),
    /// Mint a bearer token signed with the public, well-known demo key (insecure: for `serve --demo`).
    #[command(after_help = EXIT_CODES)]
    Token(TokenArgs),
    /// Print a shell completion script.
    #[command(after_help = EXIT_CODES)]
    Completions {
        /// The shell.
        shell: Shell,
        /// Where to write.
        #[command(flatten)]
        output: Output,
    },
}

/// How `entitle serve` runs.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The SQLite database file (created if missing).
    #[arg(long, default_value = "entitle.db", value_name = "FILE")]
    pub db: PathBuf,
    /// A tenant as Graph's list calls return it: one JSON document with `users`, `groups`,
    /// `catalogs`, `accessPackages`, `assignmentPolicies`, `roleAssignments` (docs/tenant.md).
    #[arg(long, value_name = "FILE")]
    pub tenant: Option<PathBuf>,
    /// The address to listen on; port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR")]
    pub listen: std::net::SocketAddr,
    /// Load the built-in demo tenant and accept tokens signed with the public demo key. INSECURE.
    #[arg(long)]
    pub demo: bool,
    /// Accept tokens signed by the keys of this JWKS file (production mode).
    #[arg(long, value_name = "FILE", requires_all = ["issuer", "audience"])]
    pub jwks: Option<PathBuf>,
    /// The token issuer (`iss`) accepted with `--jwks`.
    #[arg(long, value_name = "ISS")]
    pub issuer: Option<String>,
    /// The token audience (`aud`) accepted with `--jwks`.
    #[arg(long, value_name = "AUD")]
    pub audience: Option<String>,
    /// Accept only tokens of this tenant (`tid`); a token of another tenant is refused with 401.
    #[arg(long, value_name = "GUID")]
    pub tenant_id: Option<String>,
    /// Start the clock at this instant (RFC 3339) and move it only through `POST /_entitle/clock`.
    #[arg(long, value_name = "DATETIME")]
    pub frozen_clock: Option<String>,
    /// Serve the control API under `/_entitle/` (always on with `--demo`).
    #[arg(long)]
    pub control_api: bool,
    /// Keep requests in this PostgreSQL database instead of the SQLite file (`postgres://…`).
    #[arg(long, value_name = "URL", conflicts_with = "db")]
    pub database_url: Option<String>,
    /// The most PostgreSQL connections this process opens (with `--database-url`).
    #[arg(long, default_value_t = 16, value_name = "CONNECTIONS")]
    pub pool_size: u32,
    /// Requests a second each client (token `oid`, else IP address) may sustain; 0 turns the rate
    /// limit off [default: 500].
    #[arg(long, value_name = "PER_SECOND")]
    pub rate_limit: Option<u32>,
    /// Requests a client may send at once before the rate applies [default: 1000].
    #[arg(long, value_name = "REQUESTS")]
    pub rate_limit_burst: Option<u32>,
    /// Requests handled at once; past it `503` with `Retry-After` [default: 256].
    #[arg(long, value_name = "REQUESTS")]
    pub max_in_flight: Option<usize>,
    /// Seconds one request may take, its body included, before `408` [default: 30].
    #[arg(long, value_name = "SECONDS")]
    pub request_timeout: Option<u64>,
    /// Connections open at once; past it new ones wait in the backlog [default: 512].
    #[arg(long, value_name = "CONNECTIONS")]
    pub max_connections: Option<usize>,
    /// How log lines are written to standard error (`ENTITLE_LOG` sets the level, default `info`).
    #[arg(long, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// Export every request's span over OTLP/HTTP to this collector (`http://127.0.0.1:4318`).
    #[cfg(feature = "otlp")]
    #[arg(long, value_name = "URL")]
    pub otlp_endpoint: Option<String>,
    /// HTTPS and the base of links.
    #[command(flatten)]
    pub https: HttpsArgs,
}

/// How `entitle serve` speaks HTTPS and names itself in links.
#[derive(Debug, Args)]
#[command(next_help_heading = "HTTPS and links")]
pub struct HttpsArgs {
    /// Serve HTTPS with this PEM certificate chain, leaf first (with `--tls-key`).
    #[arg(
        long,
        value_name = "FILE",
        requires = "tls_key",
        conflicts_with = "tls"
    )]
    pub tls_cert: Option<PathBuf>,
    /// The PEM private key of `--tls-cert`.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Serve HTTPS with a certificate from a local certificate authority kept next to the database
    /// (made on first use; trust `entitle-ca.pem` in clients).
    #[arg(long)]
    pub tls: bool,
    /// A host name or address the `--tls` certificate also holds, beside localhost and the loopback
    /// addresses (repeatable).
    #[arg(long, value_name = "NAME", requires = "tls")]
    pub tls_name: Vec<String>,
    /// The URL clients reach this server at, the base of every link in answers
    /// (`https://host[:port][/prefix]`); for a TLS front or gateway.
    #[arg(long, value_name = "URL", value_parser = entitle_server::PublicUrl::parse)]
    pub public_url: Option<entitle_server::PublicUrl>,
    /// Let a front's `Forwarded` or `X-Forwarded-Proto`/`X-Forwarded-Host` headers decide the scheme
    /// and host of links. Only behind a front that sets them: clients can send them too.
    #[arg(long)]
    pub trust_forwarded: bool,
}

/// What `entitle token` puts in the token.
#[derive(Debug, Args)]
pub struct TokenArgs {
    /// The caller's object id (`oid`).
    #[arg(long, value_name = "GUID")]
    pub oid: String,
    /// Permissions, space- or comma-separated: `scp` of a user token, `roles` of an app token.
    #[arg(long, value_name = "PERMISSIONS", default_value = "")]
    pub scp: String,
    /// Directory role template ids (`wids`), comma-separated.
    #[arg(long, value_name = "IDS", default_value = "")]
    pub wids: String,
    /// An app-only token (`idtyp` `app`).
    #[arg(long)]
    pub app: bool,
    /// The tenant (`tid`); the demo tenant by default.
    #[arg(long, value_name = "GUID")]
    pub tenant: Option<String>,
    /// How long the token lasts, in seconds.
    #[arg(long, default_value_t = 86_400, value_name = "SECONDS")]
    pub lifetime: u64,
}

/// How `serve` writes its log lines.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// One readable line an event, with the request's span.
    Text,
    /// One JSON object a line, the request's span under `span`.
    Json,
}

/// Formats of `table` and `matrix`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    /// Markdown, for review.
    Md,
    /// CSV, for spreadsheets.
    Csv,
    /// JSON, for tools; loads back with `--table`, `verify` and `diff`.
    Json,
    /// Graphviz DOT.
    Dot,
    /// A Mermaid diagram.
    Mermaid,
}

impl Command {
    /// The file the command's output goes to, if not standard output.
    pub fn output_file(&self) -> Option<&PathBuf> {
        match self {
            Self::Table { output, .. }
            | Self::Matrix { output, .. }
            | Self::Check { output, .. }
            | Self::Verify { output, .. }
            | Self::Diff { output, .. }
            | Self::Who { output, .. }
            | Self::Vectors { output, .. }
            | Self::Completions { output, .. } => output.output.as_ref(),
            Self::Docs { .. } | Self::Serve(_) | Self::Token(_) => None,
        }
    }
}

impl From<ExportFormat> for Format {
    fn from(format: ExportFormat) -> Self {
        match format {
            ExportFormat::Md => Self::Md,
            ExportFormat::Csv => Self::Csv,
            ExportFormat::Json => Self::Json,
            ExportFormat::Dot => Self::Dot,
            ExportFormat::Mermaid => Self::Mermaid,
        }
    }
}

/// Formats of reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// Text for people.
    Text,
    /// JSON for machines.
    Json,
}

/// Formats of `who`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum WhoFormat {
    /// Markdown, for review.
    Md,
    /// CSV, for spreadsheets.
    Csv,
    /// JSON, for tools.
    Json,
}

/// What `diff` fails on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    /// NEW lets an actor perform an operation (from a status, for the actions and `delete`) that OLD
    /// did not; with `--tenant`, NEW lets someone act who could not in OLD.
    NewAccess,
}

/// Graph versions, as spelled on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Api {
    /// Microsoft Graph v1.0.
    #[value(name = "v1.0")]
    V1,
    /// Microsoft Graph beta.
    Beta,
}

impl From<Api> for ApiVersion {
    fn from(api: Api) -> Self {
        match api {
            Api::V1 => Self::V1,
            Api::Beta => Self::Beta,
        }
    }
}
