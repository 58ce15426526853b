//! Where the database is: a SQLite file path, or a PostgreSQL server URL (team mode). The URL
//! never carries a password (that lives in the person's keychain), and what is shown back of
//! it is scheme, login, host, port and database only.

use sqlx::postgres::PgConnectOptions;
use std::path::{Path, PathBuf};
use std::str::FromStr;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    File(PathBuf),
    Server(ServerUrl),
}

/// A parsed `postgres://login@host:port/database?options` URL, without a password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerUrl {
    pub login: String,
    pub host: String,
    pub port: u16,
    pub database: String,
    /// The query part (`sslmode=require`, …), kept as given.
    query: Option<String>,
}

impl Location {
    /// What `--db` (or `REPLAY_CONSOLE_DB`) names: `postgres://…` or `postgresql://…` is a
    /// server; another `scheme://` is refused (taken as a path it would make a folder named
    /// after the scheme); anything else is a file path. Errors never repeat the URL's text
    /// beyond the scheme (it may carry a password).
    pub fn parse(db: &Path) -> Result<Location, String> {
        let text = db.to_string_lossy();
        let Some((scheme, _)) = text.split_once("://") else {
            return Ok(Location::File(db.to_path_buf()));
        };
        let is_scheme = !scheme.is_empty()
            && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
        if !is_scheme {
            return Ok(Location::File(db.to_path_buf()));
        }
        if scheme != "postgres" && scheme != "postgresql" {
            return Err(format!(
                "--db: `{scheme}://…` is not a database this console can use: give a SQLite file path \
                 (e.g. --db ./replay-console.db) or a PostgreSQL server (postgres://login@host:5432/database)"
            ));
        }
        ServerUrl::parse(&text).map(Location::Server)
    }

    /// The location as shown to people and used as the log's identity in the keychain: the
    /// file path, or the server URL without a password.
    pub fn shown(&self) -> String {
        match self {
            Location::File(p) => p.display().to_string(),
            Location::Server(s) => s.shown(),
        }
    }
}

impl ServerUrl {
    fn parse(text: &str) -> Result<ServerUrl, String> {
        let url = url::Url::parse(text).map_err(|e| format!("--db: not a valid PostgreSQL URL ({e})"))?;
        if url.password().is_some() {
            return Err(
                "--db: the URL carries a password; leave it out (it would be shown, logged and kept in \
                        shell history). Store it in your keychain once with `replay-console team login --db URL`."
                    .into(),
            );
        }
        let login = percent_decode(url.username());
        if login.is_empty() {
            return Err("--db: the URL names no login; write postgres://LOGIN@host:5432/database".into());
        }
        let host = url
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or("--db: the URL names no host; write postgres://login@HOST:5432/database")?
            .to_string();
        let database = percent_decode(url.path().trim_start_matches('/'));
        if database.is_empty() || database.contains('/') {
            return Err("--db: the URL names no database; write postgres://login@host:5432/DATABASE".into());
        }
        Ok(ServerUrl {
            login,
            host,
            port: url.port().unwrap_or(5432),
            database,
            query: url.query().map(str::to_string),
        })
    }

    /// The URL as shown: never a password.
    pub fn shown(&self) -> String {
        let mut s = format!(
            "postgres://{}@{}:{}/{}",
            self.login, self.host, self.port, self.database
        );
        if let Some(q) = &self.query {
            s.push('?');
            s.push_str(q);
        }
        s
    }

    /// The keychain account of this login's password on this server.
    pub fn keychain_account(&self) -> String {
        format!("db:{}@{}:{}", self.login, self.host, self.port)
    }

    pub(super) fn connect_options(&self) -> Result<PgConnectOptions, sqlx::Error> {
        PgConnectOptions::from_str(&self.shown())
    }
}

fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_a_server_and_a_refused_scheme() {
        assert_eq!(
            Location::parse(Path::new("./data/console.db")),
            Ok(Location::File(PathBuf::from("./data/console.db")))
        );
        let Ok(Location::Server(s)) =
            Location::parse(Path::new("postgresql://ops_ana@db.internal/replay?sslmode=require"))
        else {
            panic!("a server URL is a server");
        };
        assert_eq!(s.shown(), "postgres://ops_ana@db.internal:5432/replay?sslmode=require");
        assert_eq!(s.keychain_account(), "db:ops_ana@db.internal:5432");
        let e = Location::parse(Path::new("mysql://root@x/y")).unwrap_err();
        assert!(e.contains("`mysql://…`"), "{e}");
    }

    #[test]
    fn a_password_in_the_url_is_refused_and_never_repeated() {
        let e = Location::parse(Path::new("postgres://ana:hunter2-s3cret@db:5433/replay")).unwrap_err();
        assert!(e.contains("password"), "{e}");
        assert!(!e.contains("hunter2"), "the error repeats no part of the password: {e}");
        let e = Location::parse(Path::new("postgres://db:5433/replay")).unwrap_err();
        assert!(e.contains("no login"), "{e}");
        let e = Location::parse(Path::new("postgres://ana@db:5433/")).unwrap_err();
        assert!(e.contains("no database"), "{e}");
    }
}
