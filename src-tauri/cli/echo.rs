//! The terminal's echo, off while a secret is pasted and back on afterwards (also when reading
//! fails). If the process is killed meanwhile, `stty echo` restores it.

/// Echo stays off until this is dropped.
pub struct Quiet {
    #[cfg(unix)]
    saved: Option<libc::termios>,
    #[cfg(windows)]
    saved: Option<(*mut std::ffi::c_void, u32)>,
}

/// Turns echo off on standard input when it is a terminal; where it cannot, the paste is shown
/// and a warning says so.
#[cfg(unix)]
pub fn off() -> Quiet {
    // SAFETY: termios is plain data that tcgetattr fills; fd 0 is standard input.
    let mut t: libc::termios = unsafe { std::mem::zeroed() };
    if unsafe { libc::tcgetattr(0, &mut t) } != 0 {
        eprintln!("warning: cannot turn the terminal's echo off; the paste will be shown");
        return Quiet { saved: None };
    }
    let saved = t;
    t.c_lflag &= !(libc::ECHO | libc::ECHONL);
    // SAFETY: `t` is the terminal's own settings with echo cleared.
    if unsafe { libc::tcsetattr(0, libc::TCSAFLUSH, &t) } != 0 {
        eprintln!("warning: cannot turn the terminal's echo off; the paste will be shown");
        return Quiet { saved: None };
    }
    Quiet { saved: Some(saved) }
}

#[cfg(unix)]
impl Drop for Quiet {
    fn drop(&mut self) {
        if let Some(saved) = self.saved.take() {
            // SAFETY: the settings read by `off`, restored on the same descriptor.
            unsafe { libc::tcsetattr(0, libc::TCSANOW, &saved) };
        }
    }
}

#[cfg(windows)]
#[link(name = "kernel32")]
extern "system" {
    fn GetStdHandle(which: u32) -> *mut std::ffi::c_void;
    fn GetConsoleMode(handle: *mut std::ffi::c_void, mode: *mut u32) -> i32;
    fn SetConsoleMode(handle: *mut std::ffi::c_void, mode: u32) -> i32;
}

#[cfg(windows)]
pub fn off() -> Quiet {
    const STD_INPUT_HANDLE: u32 = -10i32 as u32;
    const ENABLE_ECHO_INPUT: u32 = 0x0004;
    // SAFETY: the standard input's handle and its console mode, a plain u32 out-parameter.
    let handle = unsafe { GetStdHandle(STD_INPUT_HANDLE) };
    let mut mode = 0u32;
    if handle.is_null() || unsafe { GetConsoleMode(handle, &mut mode) } == 0 {
        eprintln!("warning: cannot turn the console's echo off; the paste will be shown");
        return Quiet { saved: None };
    }
    // SAFETY: the console's own mode with echo cleared.
    if unsafe { SetConsoleMode(handle, mode & !ENABLE_ECHO_INPUT) } == 0 {
        eprintln!("warning: cannot turn the console's echo off; the paste will be shown");
        return Quiet { saved: None };
    }
    Quiet {
        saved: Some((handle, mode)),
    }
}

#[cfg(windows)]
impl Drop for Quiet {
    fn drop(&mut self) {
        if let Some((handle, mode)) = self.saved.take() {
            // SAFETY: the mode read by `off`, restored on the same handle.
            unsafe { SetConsoleMode(handle, mode) };
        }
    }
}

#[cfg(not(any(unix, windows)))]
pub fn off() -> Quiet {
    eprintln!("warning: cannot turn the terminal's echo off here; the paste will be shown");
    Quiet {}
}
