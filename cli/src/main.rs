//! `lumen`: explanations from the command line.

mod demo;

use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

/// Lumen: attributions for models you can call.
#[derive(Debug, Parser)]
#[command(name = "lumen", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Explain German Credit applicants (Feature Ablation, KernelSHAP, reason codes, counterfactuals) and a digit (Integrated Gradients, Occlusion, Grad-CAM).
    Demo(demo::DemoArgs),
}

/// The compute backend, as on the C ABI.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Backend {
    /// CUDA when available, else the CPU.
    Auto,
    /// The rayon CPU backend.
    Cpu,
    /// The CUDA backend (an error when unavailable).
    Cuda,
}

impl From<Backend> for lumen::BackendChoice {
    fn from(backend: Backend) -> Self {
        match backend {
            Backend::Auto => Self::Auto,
            Backend::Cpu => Self::Cpu,
            Backend::Cuda => Self::Cuda,
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Demo(args) => demo::run(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("lumen: {message}");
            ExitCode::FAILURE
        }
    }
}
