//! The layers DESIGN describes, checked on the sources rather than trusted to comments: a lower
//! layer never names a higher one, the pure domain names no I/O crate, and only `desktop/` (and
//! the build script and `main.rs`) names Tauri. The rules are this one table; a test of the check
//! itself feeds it a deliberately climbing import.

use std::path::{Path, PathBuf};

/// (files: a folder under `src-tauri/` or one file, what they must not name, why).
const RULES: &[(&str, &[&str], &str)] = &[
    (
        "domain/",
        &[
            "crate::services",
            "crate::store",
            "crate::salesforce",
            "crate::sandbox",
            "crate::cli",
            "crate::desktop",
            "crate::keychain",
            "crate::app",
            "sqlx::",
            "reqwest::",
            "tauri::",
            "tokio::",
            "keyring::",
            "rusqlite::",
            "hyper::",
            "std::fs",
            "std::net::Tcp",
            "std::net::Udp",
            "std::process",
        ],
        "the domain is pure: time and fetched state come in as arguments",
    ),
    (
        "store/",
        &[
            "crate::services",
            "crate::salesforce",
            "crate::sandbox",
            "crate::cli",
            "crate::desktop",
            "crate::keychain",
            "crate::app",
            "reqwest::",
            "tauri::",
        ],
        "the store takes plain values, never service types",
    ),
    (
        "salesforce/",
        &[
            "crate::services",
            "crate::store",
            "crate::sandbox",
            "crate::cli",
            "crate::desktop",
            "crate::keychain",
            "crate::app",
            "sqlx::",
            "tauri::",
        ],
        "the client knows HTTP and Salesforce, nothing of the console's storage or use cases",
    ),
    (
        "sandbox/",
        &[
            "crate::salesforce",
            "crate::services",
            "crate::store",
            "crate::cli",
            "crate::desktop",
            "crate::keychain",
            "crate::app",
            "crate::domain",
            "sqlx::",
            "tauri::",
        ],
        "the simulated org shares no code with the client, so one misreading cannot hide in both",
    ),
    (
        "keychain.rs",
        &[
            "crate::services",
            "crate::store",
            "crate::cli",
            "crate::desktop",
            "crate::app",
            "tauri::",
        ],
        "the keychain wrapper sits below the services",
    ),
    (
        "error.rs",
        &[
            "crate::services",
            "crate::cli",
            "crate::desktop",
            "crate::app",
            "tauri::",
        ],
        "the top-level error sits below the services",
    ),
    (
        "services/",
        &["crate::cli", "crate::desktop", "tauri::"],
        "use cases know nothing of the shells that call them",
    ),
    (
        "cli/",
        &["crate::desktop", "tauri::"],
        "the CLI builds without the window",
    ),
];

/// Every `.rs` file under `dir` (or `dir` itself when it is a file).
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    if dir.is_file() {
        return vec![dir.to_path_buf()];
    }
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap_or_else(|e| panic!("read {}: {e}", d.display())) {
            let p = entry.expect("a directory entry").path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// The lines of `source` that name one of `forbidden`, as `name:line: text`. Comments (`//`,
/// `//!`, `///`) do not count: they may say what a layer must not do.
pub fn climbing(name: &str, source: &str, forbidden: &[&str]) -> Vec<String> {
    let mut hits = Vec::new();
    let lines: Vec<&str> = source.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        // A file's unit-test module (at its end, by convention) may use anything; a single
        // `#[cfg(test)]` item elsewhere does not end the scan.
        if line.trim() == "#[cfg(test)]"
            && lines.get(i + 1).is_some_and(|n| {
                let n = n.trim_start();
                n.starts_with("mod tests") || n.starts_with("pub(crate) mod tests")
            })
        {
            break;
        }
        let code = match line.find("//") {
            Some(at) => &line[..at],
            None => line,
        };
        for f in forbidden {
            let named = code.match_indices(f).any(|(at, _)| {
                // `crate::store` must not match `crate::storehouse`; `sqlx::` must not match
                // `my_sqlx::`.
                let before_ok = at == 0 || !code[..at].ends_with(|c: char| c.is_alphanumeric() || c == '_');
                let after = &code[at + f.len()..];
                let after_ok = f.ends_with("::") || !after.starts_with(|c: char| c.is_alphanumeric() || c == '_');
                before_ok && after_ok
            });
            if named {
                hits.push(format!("{name}:{}: {} (names {f})", i + 1, line.trim()));
            }
        }
    }
    hits
}

#[test]
fn no_layer_names_a_higher_one() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src-tauri");
    let mut problems = Vec::new();
    for (files, forbidden, why) in RULES {
        for f in rust_files(&root.join(files)) {
            let text = std::fs::read_to_string(&f).expect("a readable source file");
            let name = f.strip_prefix(&root).unwrap_or(&f).display().to_string();
            for hit in climbing(&name, &text, forbidden) {
                problems.push(format!("{hit}: {why}"));
            }
        }
    }
    // Tauri only in the window's shell, the build script and main.rs.
    for f in rust_files(&root) {
        let name = f.strip_prefix(&root).unwrap_or(&f).display().to_string();
        if name.starts_with("desktop/") || name == "build.rs" || name == "main.rs" {
            continue;
        }
        let text = std::fs::read_to_string(&f).expect("a readable source file");
        for hit in climbing(&name, &text, &["tauri::"]) {
            problems.push(format!("{hit}: only desktop/ names Tauri"));
        }
    }
    assert!(
        problems.is_empty(),
        "imports that climb a layer:\n{}",
        problems.join("\n")
    );
}

#[test]
fn the_check_catches_a_deliberately_climbing_import() {
    let store_rule = RULES
        .iter()
        .find(|(files, _, _)| *files == "store/")
        .expect("a rule for the store");
    let source = "//! The store.\n\
                  use super::Result;\n\
                  // crate::services is named in a comment only: fine\n\
                  use crate::services::holder::Holder;\n\
                  use crate::storehouse::X;\n";
    let hits = climbing("store/batches.rs", source, store_rule.1);
    assert_eq!(
        hits,
        vec!["store/batches.rs:4: use crate::services::holder::Holder; (names crate::services)".to_string()],
        "the climbing import is named at its line; comments and look-alike names are not"
    );
    let domain_rule = RULES
        .iter()
        .find(|(files, _, _)| *files == "domain/")
        .expect("a rule for the domain");
    assert_eq!(
        climbing(
            "domain/x.rs",
            "let pool: sqlx::SqlitePool;\nlet t = tokio::time::sleep(d);",
            domain_rule.1
        )
        .len(),
        2,
        "an I/O crate in the domain is caught"
    );
    assert_eq!(
        climbing(
            "domain/x.rs",
            "#[cfg(test)]\nfn helper() {}\nuse sqlx::Pool;\n#[cfg(test)]\nmod tests {\n    use std::fs;\n}",
            domain_rule.1
        ),
        vec!["domain/x.rs:3: use sqlx::Pool; (names sqlx::)".to_string()],
        "a lone test item does not end the scan; the test module does"
    );
}
