//! What a command-line user expects of any tool (issue 19): shell completions that complete
//! subcommands and their options, a manual page, `--version`.

use crate::common::*;
use std::process::Command;

/// What bash offers for `words`, the last being the word under the cursor, with the script the
/// binary prints sourced the way bash-completion sources it.
fn bash_offers(script: &str, words: &[&str]) -> Vec<String> {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("replay-console.bash");
    std::fs::write(&path, script).expect("write the script");
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let cword = words.len() - 1;
    let prev = if cword > 0 { words[cword - 1] } else { "" };
    let probe = format!(
        "source '{}'; COMP_WORDS=({}); COMP_CWORD={cword}; _replay__console replay-console '{}' '{prev}'; \
         printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        path.display(),
        quoted.join(" "),
        words[cword],
    );
    let out = Command::new("bash").args(["-c", &probe]).output().expect("bash runs");
    assert!(
        out.status.success(),
        "the probe runs: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

#[test]
fn bash_completion_completes_commands_subcommands_and_their_options() {
    let env = Env::file();
    let r = env.run(&["completions", "bash"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let syntax = Command::new("bash")
        .args(["-n", "-c", &r.stdout])
        .output()
        .expect("bash -n");
    assert!(
        syntax.status.success(),
        "the script parses: {}",
        String::from_utf8_lossy(&syntax.stderr)
    );

    assert_eq!(bash_offers(&r.stdout, &["replay-console", "au"]), ["audit"]);
    assert_eq!(
        bash_offers(&r.stdout, &["replay-console", "audit", "ver"]),
        ["verify", "verify-export"],
        "a subcommand's own subcommands complete (clap's hyphenated-name bug is worked around)"
    );
    assert_eq!(
        bash_offers(&r.stdout, &["replay-console", "events", "list", "--st"]),
        ["--status"],
        "a subcommand's options complete"
    );
}

#[test]
fn completions_for_every_shell_and_a_manual_page_come_from_the_same_grammar() {
    let env = Env::file();
    for (shell, marker) in [
        ("zsh", "#compdef replay-console"),
        ("fish", "complete -c replay-console"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let r = env.run(&["completions", shell]);
        assert_eq!(r.code, 0, "{shell}: {}", r.stderr);
        assert!(r.stdout.contains(marker), "{shell}: {marker}");
        assert!(
            r.stdout.contains("verify-export"),
            "{shell} knows the nested subcommands"
        );
    }
    let bad = env.run(&["completions", "tcsh"]);
    assert_eq!(bad.code, 2, "an unknown shell is a usage error: {}", bad.stderr);
    assert!(bad.stderr.contains("possible values"), "{}", bad.stderr);

    let man = env.run(&["man"]);
    assert_eq!(man.code, 0, "{}", man.stderr);
    assert!(
        man.stdout.contains(".TH replay-console 1"),
        "section 1: {}",
        &man.stdout[..200.min(man.stdout.len())]
    );
    for word in ["preflight", "audit", "completions"] {
        assert!(man.stdout.contains(word), "the page lists `{word}`");
    }
    // Where groff is installed (Debian: groff-base, which man needs), the page renders cleanly.
    if Command::new("groff").arg("--version").output().is_ok() {
        let dir = tempfile::tempdir().expect("temp dir");
        let page = dir.path().join("replay-console.1");
        std::fs::write(&page, &man.stdout).expect("write the page");
        let check = Command::new("groff")
            .args(["-man", "-Tutf8", "-ww", "-z"])
            .arg(&page)
            .output()
            .expect("groff");
        assert!(
            check.status.success() && check.stderr.is_empty(),
            "groff renders the page without a warning: {}",
            String::from_utf8_lossy(&check.stderr)
        );
    }

    let v = env.run(&["--version"]);
    assert_eq!(v.code, 0);
    assert_eq!(v.stdout.trim(), format!("replay-console {}", env!("CARGO_PKG_VERSION")));
}
