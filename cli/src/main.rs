//! `lumen`: explanations from the command line (see the `lumen_cli` library for the
//! subcommands and their exit codes).

fn main() -> std::process::ExitCode {
    lumen_cli::main()
}
