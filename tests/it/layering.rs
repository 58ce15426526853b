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

/// (what, the only files or folders under `src-tauri/` that may name it, why): one place each.
const SOLE: &[(&str, &[&str], &str)] = &[
    (
        "crate::salesforce",
        &["salesforce/", "services/org/", "keychain.rs", "error.rs"],
        "one adapter (services/org/) turns the client's answers into domain facts, for single and batch replay alike",
    ),
    (
        "BEGIN IMMEDIATE",
        &["store/"],
        "write transactions open through the store's helper (store::write_tx)",
    ),
    (
        "sqlx::",
        &["store/", "error.rs"],
        "every SQL statement lives in store/ and services hold the store's Pool, Conn and Tx, so a second database needs only a second store",
    ),
];

/// The size limits of the layout: no Rust file over this many lines outside its test module,
/// no function over this many lines.
const MAX_FILE_LINES: usize = 800;
const MAX_FN_LINES: usize = 150;

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
    for f in rust_files(&root) {
        let name = f.strip_prefix(&root).unwrap_or(&f).display().to_string();
        let text = std::fs::read_to_string(&f).expect("a readable source file");
        problems.extend(outside_its_place(&name, &text));
    }
    assert!(
        problems.is_empty(),
        "imports that climb a layer:\n{}",
        problems.join("\n")
    );
}

/// The lines of file `name` that name something SOLE keeps to other files.
pub fn outside_its_place(name: &str, source: &str) -> Vec<String> {
    let mut hits = Vec::new();
    for (what, only, why) in SOLE {
        if name == "build.rs"
            || only
                .iter()
                .any(|o| name == *o || (o.ends_with('/') && name.starts_with(o)))
        {
            continue;
        }
        for hit in climbing(name, source, &[what]) {
            hits.push(format!("{hit}: only {} ({why})", only.join(", ")));
        }
    }
    hits
}

/// The lines of `source` before its unit-test module (`#[cfg(test)]` then `mod tests`).
pub fn non_test_lines(source: &str) -> usize {
    let lines: Vec<&str> = source.lines().collect();
    lines
        .iter()
        .enumerate()
        .position(|(i, l)| {
            l.trim() == "#[cfg(test)]"
                && lines
                    .get(i + 1)
                    .is_some_and(|n| n.trim_start().starts_with("mod tests"))
        })
        .unwrap_or(lines.len())
}

/// The functions of `source` (outside its test module) longer than `max` lines, as
/// `name:line: fn (N lines)`. A function runs from its `fn` line to the line where the braces
/// it opened close; braces in strings, chars and comments are skipped.
pub fn long_functions(name: &str, source: &str, max: usize) -> Vec<String> {
    let lines: Vec<&str> = source.lines().take(non_test_lines(source)).collect();
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let Some(fn_name) = fn_name(line) else {
            continue;
        };
        let mut depth = 0i64;
        let mut opened = false;
        let mut end = None;
        let mut in_str = false;
        'scan: for (j, l) in lines.iter().enumerate().skip(i) {
            for c in code_chars(l, &mut in_str) {
                match c {
                    '{' => {
                        depth += 1;
                        opened = true;
                    }
                    '}' => depth -= 1,
                    ';' if !opened && depth == 0 => break 'scan,
                    _ => {}
                }
                if opened && depth == 0 {
                    end = Some(j);
                    break 'scan;
                }
            }
        }
        if let Some(end) = end {
            let n = end - i + 1;
            if n > max {
                out.push(format!("{name}:{}: fn {fn_name} ({n} lines)", i + 1));
            }
        }
    }
    out
}

/// The function a line declares, if it does (`pub(crate) async fn name(`...).
fn fn_name(line: &str) -> Option<&str> {
    let t = line.trim_start();
    if t.starts_with("//") {
        return None;
    }
    let at = t.find("fn ")?;
    let head = &t[..at];
    let qualifiers_only = head
        .split_whitespace()
        .all(|w| matches!(w, "pub" | "async" | "const" | "unsafe" | "extern" | "\"C\"") || w.starts_with("pub("));
    if !qualifiers_only {
        return None;
    }
    let rest = &t[at + 3..];
    let end = rest.find(|c: char| !(c.is_alphanumeric() || c == '_'))?;
    (end > 0).then(|| &rest[..end])
}

/// The characters of a line that are code: string and char literals and `//` comments left out.
/// `in_str` carries an open string literal over to the next line.
fn code_chars(line: &str, in_str: &mut bool) -> Vec<char> {
    let mut out = Vec::new();
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        if *in_str {
            match c {
                '\\' => {
                    chars.next();
                }
                '"' => *in_str = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => *in_str = true,
            '/' if chars.peek() == Some(&'/') => break,
            // A char literal ('{', '\'', '\u{feff}'); a lifetime has no closing quote and stays.
            '\'' => {
                let rest: Vec<char> = chars.clone().take(2).collect();
                if rest.first() == Some(&'\\') {
                    chars.nth(1);
                    for c in chars.by_ref() {
                        if c == '\'' {
                            break;
                        }
                    }
                } else if rest.get(1) == Some(&'\'') {
                    chars.nth(1);
                }
            }
            _ => out.push(c),
        }
    }
    out
}

#[test]
fn no_file_over_800_lines_and_no_function_over_150() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src-tauri");
    let mut problems = Vec::new();
    for f in rust_files(&root) {
        let name = f.strip_prefix(&root).unwrap_or(&f).display().to_string();
        let text = std::fs::read_to_string(&f).expect("a readable source file");
        let n = non_test_lines(&text);
        if n > MAX_FILE_LINES {
            problems.push(format!(
                "{name}: {n} lines outside its tests (at most {MAX_FILE_LINES})"
            ));
        }
        problems.extend(long_functions(&name, &text, MAX_FN_LINES));
    }
    assert!(problems.is_empty(), "too large:\n{}", problems.join("\n"));
}

#[test]
fn the_size_check_measures_what_it_should() {
    let body = "    let x = \"{ not a brace\";\n    let c = '{';\n    // } nor this\n    let s = \"a string\n over lines {\";\n    let u = '\\u{7b}';\n".repeat(30);
    let source = format!(
        "pub(crate) async fn long_one(a: u8) -> u8 {{\n{body}    a\n}}\n\nfn short() {{}}\n\ntrait T {{\n    fn decl(&self);\n}}\n#[cfg(test)]\nmod tests {{\n    fn huge() {{\n{body}    }}\n}}\n"
    );
    assert_eq!(
        long_functions("x.rs", &source, 150),
        vec!["x.rs:1: fn long_one (183 lines)".to_string()],
        "braces in strings, chars and comments do not count; a declaration is no function; the test module is left out"
    );
    assert_eq!(long_functions("x.rs", &source, 200), Vec::<String>::new());
    assert_eq!(non_test_lines(&source), 189, "the lines before the test module");
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
    let adapter_bypass = "use crate::salesforce::encode;\nlet q = sqlx::query(\"BEGIN IMMEDIATE\");";
    assert_eq!(
        outside_its_place("services/batch/run.rs", adapter_bypass).len(),
        3,
        "the client named outside the adapter, SQL and a write transaction outside the store"
    );
    assert_eq!(
        outside_its_place("services/org/bulk.rs", "use crate::salesforce::encode;"),
        Vec::<String>::new()
    );
    assert_eq!(
        outside_its_place("store/events.rs", "let q = sqlx::query(\"BEGIN IMMEDIATE\");"),
        Vec::<String>::new()
    );
}

#[test]
fn every_source_file_opens_with_what_it_is_for() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src-tauri");
    let missing: Vec<String> = rust_files(&root)
        .into_iter()
        .filter(|f| {
            let text = std::fs::read_to_string(f).expect("a readable source file");
            !text.trim_start().starts_with("//!")
        })
        .map(|f| f.strip_prefix(&root).unwrap_or(&f).display().to_string())
        .collect();
    assert!(
        missing.is_empty(),
        "files without an opening `//!` comment: {missing:?}"
    );
}
