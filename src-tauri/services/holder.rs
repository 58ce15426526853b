//! This process: who runs it and where (the OS user and host every audit entry records), and
//! which process holds an in-flight attempt, so that at start-up an attempt left by a crashed
//! process is told apart from one another running instance is still sending.

pub use crate::store::Holder;

pub fn me() -> Holder {
    // This process's stamp does not change while it runs: read /proc once.
    static ME: std::sync::OnceLock<Holder> = std::sync::OnceLock::new();
    ME.get_or_init(|| {
        let pid = std::process::id();
        Holder {
            pid: i64::from(pid),
            started: start_stamp(pid).unwrap_or_default(),
            host: host(),
        }
    })
    .clone()
}

fn boot_id() -> Option<String> {
    std::fs::read_to_string("/proc/sys/kernel/random/boot_id")
        .ok()
        .map(|s| s.trim().to_string())
}

/// Field 22 of /proc/PID/stat (start time since boot), after the parenthesised command name,
/// which may itself contain spaces and parentheses.
fn start_stamp(pid: u32) -> Option<String> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after = stat.rsplit_once(')')?.1;
    let start = after.split_whitespace().nth(19)?;
    Some(format!("{}:{start}", boot_id()?))
}

/// Whether the process that recorded `(pid, started, host)` is still running. On another host,
/// or without /proc, it cannot be known: treated as gone, which only makes the attempt
/// `unknown_outcome` (no write happens because of it).
pub fn is_alive(pid: Option<i64>, started: Option<&str>, host: Option<&str>) -> bool {
    let (Some(pid), Some(started), Some(host)) = (pid, started, host) else {
        return false;
    };
    if host != self::host() || started.is_empty() {
        return false;
    }
    match u32::try_from(pid).ok().and_then(start_stamp) {
        Some(now) => now == started,
        None => false,
    }
}

/// The OS user and host recorded with every entry (read once a process: every audit entry
/// names them).
pub fn os_user() -> String {
    static USER: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    USER.get_or_init(read_os_user).clone()
}

fn read_os_user() -> String {
    std::env::var("USER")
        .or_else(|_| std::env::var("USERNAME"))
        .ok()
        .filter(|u| !u.trim().is_empty())
        .or_else(user_from_passwd)
        .unwrap_or_else(|| "unknown".into())
}

/// Without USER in the environment (services, some sandboxes), the name of this process's uid in
/// /etc/passwd, so an audit entry still says who ran it.
#[cfg(unix)]
fn user_from_passwd() -> Option<String> {
    use std::os::unix::fs::MetadataExt;
    let uid = std::fs::metadata("/proc/self").ok()?.uid();
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let mut f = line.split(':');
        let name = f.next()?;
        let _password = f.next()?;
        let id: u32 = f.next()?.parse().ok()?;
        (id == uid && !name.is_empty()).then(|| name.to_string())
    })
}

#[cfg(not(unix))]
fn user_from_passwd() -> Option<String> {
    None
}

pub fn host() -> String {
    static HOST: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HOST.get_or_init(read_host).clone()
}

fn read_host() -> String {
    std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .unwrap_or_else(|| "unknown".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_is_alive_and_a_stale_stamp_is_not() {
        let me = me();
        if me.started.is_empty() {
            return; // no /proc on this platform
        }
        assert!(
            is_alive(Some(me.pid), Some(&me.started), Some(&me.host)),
            "we are running"
        );
        assert!(
            !is_alive(Some(me.pid), Some("other-boot:1"), Some(&me.host)),
            "a reused pid is not the holder"
        );
        assert!(
            !is_alive(Some(me.pid), Some(&me.started), Some("elsewhere")),
            "another host cannot be checked"
        );
    }
}
