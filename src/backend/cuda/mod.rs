//! The CUDA backend (feature `cuda`).
pub mod kernels;
