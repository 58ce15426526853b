//! Build step. The window's commands are listed once, as the `#[tauri::command]` functions of
//! `src-tauri/desktop/commands.rs`; from that list this script makes:
//! - the handler registration (`$OUT_DIR/window_handler.rs`, included by `desktop::run`);
//! - the permissions: Tauri's app manifest, and `capabilities/main.json` granting each command to
//!   the main window only;
//! - the TypeScript wrappers the window calls (`ui/src/ipc/bindings/commands.ts`), typed with the
//!   ts-rs bindings beside them.
//!
//! So a new command is its function there, plus what uses it. Generated files are rewritten only
//! when their content changes; CI fails when a committed one is stale.

use std::path::{Path, PathBuf};

const COMMANDS_FILE: &str = "src-tauri/desktop/commands.rs";

fn main() {
    // Migrations are embedded by `sqlx::migrate!`; rebuild when they change.
    println!("cargo:rerun-if-changed=migrations");
    println!("cargo:rerun-if-changed={COMMANDS_FILE}");
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into()));
    let source = std::fs::read_to_string(root.join(COMMANDS_FILE))
        .unwrap_or_else(|e| panic!("cannot read {COMMANDS_FILE}: {e}"));
    let commands = parse_commands(&source);
    assert!(
        !commands.is_empty(),
        "{COMMANDS_FILE} has no #[tauri::command] function"
    );
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").unwrap_or_else(|_| ".".into()));
    write_if_changed(&out_dir.join("window_handler.rs"), &handler_rs(&commands));
    write_if_changed(&root.join("capabilities/main.json"), &capability_json(&commands));
    write_if_changed(&root.join("ui/src/ipc/bindings/commands.ts"), &wrappers_ts(&commands));
    #[cfg(feature = "gui")]
    desktop(&commands);
}

/// The app's own commands, each granted to the main window only (capabilities/main.json).
#[cfg(feature = "gui")]
fn desktop(commands: &[Command]) {
    let names: Vec<&'static str> = commands
        .iter()
        .map(|c| &*Box::leak(c.name.clone().into_boxed_str()))
        .collect();
    let manifest = tauri_build::AppManifest::new().commands(Box::leak(names.into_boxed_slice()));
    if let Err(e) = tauri_build::try_build(tauri_build::Attributes::new().app_manifest(manifest)) {
        panic!("tauri build step failed: {e:#}");
    }
}

/// One window command as its Rust signature declares it.
struct Command {
    name: String,
    doc: Vec<String>,
    /// The arguments the window passes (not Tauri's injected State/AppHandle), Rust name and type.
    args: Vec<(String, String)>,
    /// What the command answers (the `T` of `Reply<T>`), `()` for nothing.
    answer: String,
}

fn parse_commands(source: &str) -> Vec<Command> {
    let lines: Vec<&str> = source.lines().collect();
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if line.trim() != "#[tauri::command]" {
            continue;
        }
        let doc: Vec<String> = lines[..i]
            .iter()
            .rev()
            .take_while(|l| l.trim_start().starts_with("///"))
            .map(|l| l.trim_start().trim_start_matches("///").trim().to_string())
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        let rest = lines[i + 1..].join("\n");
        let sig_end = rest.find(" {\n").unwrap_or(rest.len());
        out.push(parse_signature(&rest[..sig_end], doc));
    }
    out
}

/// `pub async fn name(a: A, b: B) -> Reply<T>` (whitespace and line breaks anywhere).
fn parse_signature(sig: &str, doc: Vec<String>) -> Command {
    let sig = sig.split_whitespace().collect::<Vec<_>>().join(" ");
    let after_fn = sig
        .split("fn ")
        .nth(1)
        .unwrap_or_else(|| panic!("not a function: {sig}"));
    let open = after_fn.find('(').unwrap_or_else(|| panic!("no arguments: {sig}"));
    let name = after_fn[..open].trim().to_string();
    let close = matching_paren(after_fn, open).unwrap_or_else(|| panic!("unclosed arguments: {sig}"));
    let args = split_top_level(&after_fn[open + 1..close])
        .into_iter()
        .filter_map(|a| {
            let (n, t) = a.split_once(':')?;
            let t = t.trim().to_string();
            let injected = t.starts_with("State<") || t == "AppHandle" || t.starts_with("tauri::");
            (!injected).then(|| (n.trim().to_string(), t))
        })
        .collect();
    let ret = after_fn[close + 1..].trim().trim_start_matches("->").trim();
    let answer = ret
        .strip_prefix("Reply<")
        .and_then(|r| r.strip_suffix('>'))
        .unwrap_or(if ret.is_empty() { "()" } else { ret })
        .to_string();
    Command {
        name,
        doc,
        args,
        answer,
    }
}

/// The index of the `)` that closes the `(` at `open`.
fn matching_paren(s: &str, open: usize) -> Option<usize> {
    let mut depth = 0i32;
    for (i, c) in s.char_indices().skip_while(|(i, _)| *i < open) {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

/// Splits `a: A<B, C>, d: D` at the commas outside angle brackets.
fn split_top_level(s: &str) -> Vec<String> {
    let mut parts = vec![String::new()];
    let mut depth = 0i32;
    for c in s.chars() {
        match c {
            '<' | '(' => depth += 1,
            '>' | ')' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(String::new());
                continue;
            }
            _ => {}
        }
        if let Some(p) = parts.last_mut() {
            p.push(c);
        }
    }
    parts
        .into_iter()
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty())
        .collect()
}

fn handler_rs(commands: &[Command]) -> String {
    let names: Vec<String> = commands.iter().map(|c| format!("commands::{}", c.name)).collect();
    format!("tauri::generate_handler![{}]\n", names.join(", "))
}

fn capability_json(commands: &[Command]) -> String {
    let mut permissions = vec!["core:default".to_string()];
    permissions.extend(commands.iter().map(|c| format!("allow-{}", c.name.replace('_', "-"))));
    // The native file dialogs: pick a file to import, choose where an export goes. Only those two
    // (not the plugin's default set of message boxes); a chosen path goes back to the window, which
    // hands it to the app's own commands (there is no fs plugin).
    permissions.extend(["dialog:allow-open".to_string(), "dialog:allow-save".to_string()]);
    let list: Vec<String> = permissions.iter().map(|p| format!("    \"{p}\"")).collect();
    format!(
        "{{\n  \"$schema\": \"../gen/schemas/desktop-schema.json\",\n  \"identifier\": \"main-window\",\n  \"description\": \"The app's own commands, for the main window only (generated by src-tauri/build.rs from src-tauri/desktop/commands.rs). No shell, fs or http plugins: all Salesforce traffic stays in Rust. The dialog plugin may only show the open and save dialogs.\",\n  \"windows\": [\"main\"],\n  \"permissions\": [\n{}\n  ]\n}}\n",
        list.join(",\n")
    )
}

fn wrappers_ts(commands: &[Command]) -> String {
    let mut imports: Vec<String> = Vec::new();
    let mut entries = String::new();
    for c in commands {
        let params: Vec<String> = c
            .args
            .iter()
            .map(|(n, t)| format!("{}: {}", camel(n), ts_type(t, &mut imports)))
            .collect();
        let answer = ts_type(&c.answer, &mut imports);
        let args: Vec<String> = c.args.iter().map(|(n, _)| camel(n)).collect();
        let passed = if args.is_empty() {
            String::new()
        } else {
            format!(", {{ {} }}", args.join(", "))
        };
        if !c.doc.is_empty() {
            entries.push_str(&format!("  /** {} */\n", c.doc.join(" ")));
        }
        entries.push_str(&format!(
            "  {}: ({}) => call<{answer}>('{}'{passed}),\n",
            camel(&c.name),
            params.join(", "),
            c.name
        ));
    }
    imports.sort();
    imports.dedup();
    let mut out = String::from(
        "// Generated by src-tauri/build.rs from src-tauri/desktop/commands.rs: every window command,\n\
         // typed with the ts-rs bindings. Do not edit; change the Rust command and build.\n\
         // Argument names are the Rust parameter names in camelCase, as Tauri expects them.\n\
         import { call } from '../call';\n",
    );
    for t in &imports {
        out.push_str(&format!("import type {{ {t} }} from './{t}';\n"));
    }
    out.push_str(&format!("\nexport const commands = {{\n{entries}}};\n"));
    out
}

/// The TypeScript of a Rust type as ts-rs writes it; named types are imported from bindings.
fn ts_type(rust: &str, imports: &mut Vec<String>) -> String {
    let t = rust.trim();
    if let Some(inner) = t.strip_prefix("Option<").and_then(|r| r.strip_suffix('>')) {
        return format!("{} | null", ts_type(inner, imports));
    }
    if let Some(inner) = t.strip_prefix("Vec<").and_then(|r| r.strip_suffix('>')) {
        let inner = ts_type(inner, imports);
        return if inner.contains(' ') {
            format!("({inner})[]")
        } else {
            format!("{inner}[]")
        };
    }
    match t {
        "()" => "null".into(),
        "String" | "&str" => "string".into(),
        "bool" => "boolean".into(),
        "i8" | "i16" | "i32" | "i64" | "u8" | "u16" | "u32" | "u64" | "usize" | "f64" => "number".into(),
        path => {
            let name = path.rsplit("::").next().unwrap_or(path).to_string();
            imports.push(name.clone());
            name
        }
    }
}

fn camel(snake: &str) -> String {
    let mut out = String::new();
    let mut upper = false;
    for c in snake.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

fn write_if_changed(path: &Path, content: &str) {
    if std::fs::read_to_string(path).ok().as_deref() == Some(content) {
        return;
    }
    if let Some(dir) = path.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    std::fs::write(path, content).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
}
