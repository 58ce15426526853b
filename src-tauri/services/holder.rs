//! Which process holds an in-flight attempt, so that at start-up an attempt left by a crashed
//! process is told apart from one another running instance is still sending.

pub use crate::store::Holder;

pub fn me() -> Holder {
    let pid = std::process::id();
    Holder {
        pid: i64::from(pid),
        started: start_stamp(pid).unwrap_or_default(),
        host: super::audit::host(),
    }
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
    if host != super::audit::host() || started.is_empty() {
        return false;
    }
    match u32::try_from(pid).ok().and_then(start_stamp) {
        Some(now) => now == started,
        None => false,
    }
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
