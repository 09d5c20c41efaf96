//! The command line's definition: one clap tree for parsing, completions and the man page.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use xfollow::Secret;

/// Longest `--timeout`, in seconds.
pub const MAX_TIMEOUT_SECS: u64 = 600;
/// Largest page asked of the followers and following lookups (X's own maximum).
pub const MAX_PAGE_SIZE: u32 = xfollow::MAX_PAGE_SIZE;

#[derive(Debug, Parser)]
#[command(
    name = "xfollow",
    version,
    about = "Follow and unfollow accounts on X (API v2) from any shell",
    long_about = "Follow and unfollow accounts on X (API v2) from any shell.\n\n\
        Log in once (`xfollow login`), then follow, unfollow and list from scripts and cron \
        jobs. Exit codes: 0 all done; 1 an API or network failure; 2 usage or configuration; \
        3 rate-limited or out of daily quota; 4 authentication (log in again); 130 interrupted.",
    after_help = "Environment: X_API_BASE_URL, X_OAUTH2_ACCESS_TOKEN, X_CONSUMER_KEY, \
        X_CONSUMER_SECRET, X_ACCESS_TOKEN, X_ACCESS_TOKEN_SECRET, X_CLIENT_ID, X_CLIENT_SECRET, \
        X_REDIRECT_URI, X_QUOTA, XFOLLOW_PROFILE, XFOLLOW_PLAN_STORE, XDG_CONFIG_HOME, \
        XDG_STATE_HOME."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command takes.
#[derive(Debug, Args)]
pub struct Global {
    /// API base URL (default: the profile's, else https://api.x.com)
    #[arg(long, global = true, env = "X_API_BASE_URL", value_name = "URL")]
    pub base_url: Option<String>,
    /// Profile under $XDG_CONFIG_HOME/xfollow/ (default: "default")
    #[arg(long, global = true, env = "XFOLLOW_PROFILE", value_name = "NAME")]
    pub profile: Option<String>,
    /// Quota ledger: sqlite:PATH, redis://HOST:PORT, memory: or off
    /// (default: sqlite:$XDG_STATE_HOME/xfollow/quota.sqlite)
    #[arg(
        long,
        global = true,
        env = "X_QUOTA",
        value_name = "URL",
        hide_env_values = true,
        value_parser = secret
    )]
    pub quota: Option<Secret>,
    /// PEM file of a CA to trust besides the built-in roots
    #[arg(long, global = true, value_name = "FILE")]
    pub ca_file: Option<PathBuf>,
    /// Proxy URL (http, https, socks4, socks4a, socks5); proxy variables are never read
    #[arg(long, global = true, value_name = "URL", value_parser = secret)]
    pub proxy: Option<Secret>,
    /// Overall timeout of one request, in seconds (1 to 600)
    #[arg(long, global = true, value_name = "SECONDS",
          value_parser = clap::value_parser!(u64).range(1..=MAX_TIMEOUT_SECS))]
    pub timeout: Option<u64>,
    /// One JSON object per line on stdout (fields: cli/README.md)
    #[arg(long, global = true)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Log in and keep the tokens in a profile
    Login(LoginArgs),
    /// Revoke the profile's OAuth 2.0 tokens and delete the profile
    Logout(LogoutArgs),
    /// Show the authenticated user
    Whoami,
    /// Follow accounts (ids or @usernames; - reads them from stdin)
    Follow(TargetArgs),
    /// Unfollow accounts (ids or @usernames; - reads them from stdin)
    Unfollow(TargetArgs),
    /// The quota ledger and the last-known rate-limit windows
    Status,
    /// List the followers of a user (default: you), every page
    Followers(ListArgs),
    /// List the accounts a user follows (default: you), every page
    Following(ListArgs),
    /// Follow plans: named, durable lists of follows and unfollows, run at a pace
    Plan(PlanArgs),
    /// Print a shell completion script
    Completions(CompletionsArgs),
    /// Print the man page (roff), or write every page (xfollow.1, xfollow-SUBCOMMAND.1) to DIR
    #[command(hide = true)]
    Man(ManArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell
    pub shell: Shell,
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// The directory to write the pages to
    pub dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct LoginArgs {
    /// OAuth 2.0 Authorization Code with PKCE (the default)
    #[arg(long, conflicts_with = "oauth1")]
    pub oauth2: bool,
    /// OAuth 1.0a with a PIN
    #[arg(long)]
    pub oauth1: bool,
    /// OAuth 2.0 client id
    #[arg(long, env = "X_CLIENT_ID", value_name = "ID")]
    pub client_id: Option<String>,
    /// OAuth 2.0 client secret (confidential clients only)
    #[arg(
        long,
        env = "X_CLIENT_SECRET",
        value_name = "SECRET",
        hide_env_values = true,
        value_parser = secret
    )]
    pub client_secret: Option<Secret>,
    /// OAuth 1.0a consumer key (API key)
    #[arg(long, env = "X_CONSUMER_KEY", value_name = "KEY")]
    pub consumer_key: Option<String>,
    /// OAuth 1.0a consumer secret (API key secret)
    #[arg(
        long,
        env = "X_CONSUMER_SECRET",
        value_name = "SECRET",
        hide_env_values = true,
        value_parser = secret
    )]
    pub consumer_secret: Option<Secret>,
    /// The loopback redirect URI registered with the app
    #[arg(
        long,
        env = "X_REDIRECT_URI",
        value_name = "URI",
        default_value = "http://127.0.0.1:8765/callback"
    )]
    pub redirect_uri: String,
    /// Print the authorize URL only; do not open a browser
    #[arg(long)]
    pub no_browser: bool,
}

#[derive(Debug, Args)]
pub struct LogoutArgs {
    /// Delete the profile even when the tokens cannot be revoked
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct TargetArgs {
    /// User ids or @usernames; - reads them from stdin, one per line
    #[arg(required = true, value_name = "TARGET")]
    pub targets: Vec<String>,
    /// Print what would be sent; send nothing that changes anything
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// A user id or @username (default: the authenticated user)
    #[arg(value_name = "USER")]
    pub user: Option<String>,
    /// Users per page (1 to 1000)
    #[arg(long, value_name = "N", default_value_t = MAX_PAGE_SIZE,
          value_parser = clap::value_parser!(u32).range(1..=MAX_PAGE_SIZE as i64))]
    pub page_size: u32,
}

/// Longest `--max-seconds` of a plan run: 30 days.
pub const MAX_RUN_SECS: u64 = 30 * 86_400;

#[derive(Debug, Args)]
pub struct PlanArgs {
    /// Plan store: sqlite:PATH, redis://..., rediss://... or memory: (default: the store given
    /// to `plan create`, else sqlite:$XDG_STATE_HOME/xfollow/plans.sqlite)
    #[arg(
        long,
        global = true,
        env = "XFOLLOW_PLAN_STORE",
        value_name = "URL",
        hide_env_values = true,
        value_parser = secret
    )]
    pub store: Option<Secret>,
    #[command(subcommand)]
    pub command: PlanCommand,
}

#[derive(Debug, Subcommand)]
pub enum PlanCommand {
    /// Create a plan for the authenticated user (or open it when it exists)
    Create(PlanName),
    /// Add follows (or unfollows) of ids or @usernames; - reads them from stdin
    Add(PlanAddArgs),
    /// Add an unfollow of everyone you follow who does not follow you back
    UnfollowNonFollowers(PlanKeepArgs),
    /// Add a follow of everyone who follows you and whom you do not follow
    FollowBack(PlanName),
    /// Run a plan: send its queued intents at a pace
    Run(PlanRunArgs),
    /// A plan's counts by state (and, with --intents, every intent)
    Status(PlanStatusArgs),
    /// Every plan of the store, with its counts
    List,
    /// Delete a plan and its intents
    Drop(PlanName),
}

#[derive(Debug, Args)]
pub struct PlanName {
    /// The plan's name: 1 to 64 of A-Z, a-z, 0-9, _, - and .
    pub name: String,
}

#[derive(Debug, Args)]
pub struct PlanAddArgs {
    /// The plan's name
    pub name: String,
    /// Add unfollows instead of follows
    #[arg(long)]
    pub unfollow: bool,
    /// User ids or @usernames; - reads them from stdin, one per line
    #[arg(required = true, value_name = "TARGET")]
    pub targets: Vec<String>,
}

#[derive(Debug, Args)]
pub struct PlanKeepArgs {
    /// The plan's name
    pub name: String,
    /// A file of ids or @usernames (one per line) never to unfollow
    #[arg(long, value_name = "FILE")]
    pub keep: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct PlanRunArgs {
    /// The plan's name
    pub name: String,
    /// At most N requests per hour or day: N/hour or N/day (default: 400/day, X's follow cap)
    #[arg(long, value_name = "N/hour|N/day", allow_hyphen_values = true)]
    pub pace: Option<String>,
    /// Return after this many seconds, whatever is left (1 to 2592000)
    #[arg(long, value_name = "S",
          value_parser = clap::value_parser!(u64).range(1..=MAX_RUN_SECS))]
    pub max_seconds: Option<u64>,
    /// Print what would be sent; send nothing and change nothing
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Args)]
pub struct PlanStatusArgs {
    /// The plan's name
    pub name: String,
    /// Also every intent with its state (and its failure)
    #[arg(long)]
    pub intents: bool,
}

/// Values that may carry a secret (a client secret, a password in a URL) are kept as
/// [`Secret`]s, so that no `Debug` of the arguments shows them.
fn secret(s: &str) -> Result<Secret, std::convert::Infallible> {
    Ok(Secret::new(s))
}

/// The clap command (for completions and the man page).
pub fn command() -> clap::Command {
    <Cli as clap::CommandFactory>::command()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_of_the_arguments_shows_no_secret() {
        let cli = Cli::try_parse_from([
            "xfollow",
            "--quota",
            "redis://:pw-123@h:6379",
            "--proxy",
            "http://u:pw-456@p:1",
            "login",
            "--client-secret",
            "cs-789",
            "--consumer-secret",
            "cs-000",
        ])
        .unwrap();
        let shown = format!("{cli:?}");
        for secret in ["pw-123", "pw-456", "cs-789", "cs-000"] {
            assert!(!shown.contains(secret), "{shown}");
        }
        let cli = Cli::try_parse_from([
            "xfollow",
            "plan",
            "list",
            "--store",
            "redis://:pw-321@h:6379",
        ])
        .unwrap();
        let shown = format!("{cli:?}");
        assert!(!shown.contains("pw-321"), "{shown}");
    }
}
