//! `lumen`: explanations from the command line (see the `lumen_cli` library for the
//! subcommands and their exit codes).

fn main() -> std::process::ExitCode {
    restore_default_sigpipe();
    lumen_cli::main()
}

/// Rust ignores SIGPIPE, which turns a closed pipe (`lumen demo | head`) into a panic on
/// the next print; a command-line tool should instead end quietly, as `cat` does.
#[cfg(unix)]
fn restore_default_sigpipe() {
    // SAFETY: called first thing in `main`, before any thread exists; setting a signal's
    // disposition to SIG_DFL has no other precondition.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

#[cfg(not(unix))]
fn restore_default_sigpipe() {}
