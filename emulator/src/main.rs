use std::io::Write;
use std::process::ExitCode;
use xfollow_emulator::config::Config;
use xfollow_emulator::server::{Options, Server};

const USAGE: &str = "usage: xfollow-emulator [--host 127.0.0.1] [--port 0] [--config FILE] \
[--tls --ca-out FILE] [--public-base URL] [--allow-remote] [--admin-token TOKEN] \
[--max-connections N]

A local X API v2 (follows) for tests and demos. Prints `listening on http://127.0.0.1:PORT`
first, then serves until killed. Without --config the built-in demo world is used.
With --allow-remote the admin API needs `Authorization: Bearer TOKEN`; without
--admin-token a token is generated and printed on the second line, `admin token: TOKEN`.
--max-connections (default 256, at most 65536) bounds the connections served at once.";

fn run() -> Result<(), String> {
    let mut opts = Options::default();
    let mut tls = false;
    let mut ca_out: Option<String> = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = |name: &str| {
            args.next()
                .ok_or_else(|| format!("{name} needs a value\n{USAGE}"))
        };
        match a.as_str() {
            "--host" => opts.host = value("--host")?,
            "--port" => {
                let v = value("--port")?;
                opts.port = v
                    .parse()
                    .map_err(|_| format!("--port {v:?} is not a port number"))?;
            }
            "--config" => {
                let f = value("--config")?;
                let text = std::fs::read_to_string(&f).map_err(|e| format!("--config {f}: {e}"))?;
                opts.config = Config::parse(&text).map_err(|e| format!("{f}: {e}"))?;
            }
            "--tls" => tls = true,
            "--ca-out" => ca_out = Some(value("--ca-out")?),
            "--public-base" => opts.public_base = Some(value("--public-base")?),
            "--allow-remote" => opts.allow_remote = true,
            "--admin-token" => opts.admin_token = Some(value("--admin-token")?),
            "--max-connections" => {
                let v = value("--max-connections")?;
                opts.max_connections = v
                    .parse()
                    .ok()
                    .filter(|n| (1..=65_536).contains(n))
                    .ok_or_else(|| format!("--max-connections {v:?}: 1 to 65536"))?;
            }
            "--help" | "-h" => {
                println!("{USAGE}");
                return Ok(());
            }
            "--version" | "-V" => {
                println!("xfollow-emulator {}", env!("CARGO_PKG_VERSION"));
                return Ok(());
            }
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    if ca_out.is_some() && !tls {
        return Err("--ca-out needs --tls".into());
    }
    if tls {
        let Some(path) = ca_out else {
            return Err("--tls needs --ca-out FILE (where the CA certificate is written)".into());
        };
        let setup = xfollow_emulator::tls::make()?;
        std::fs::write(&path, &setup.ca_pem).map_err(|e| format!("--ca-out {path}: {e}"))?;
        opts.tls = Some(setup.config);
    }
    let server = Server::bind(opts)?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "listening on {}", server.url()).map_err(|e| e.to_string())?;
    if let Some(token) = server.generated_admin_token() {
        // The operator's own credential, shown once, as the only way to learn it.
        writeln!(out, "admin token: {token}").map_err(|e| e.to_string())?;
    }
    out.flush().map_err(|e| e.to_string())?;
    drop(out);
    server.run();
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xfollow-emulator: {e}");
            ExitCode::from(2)
        }
    }
}
