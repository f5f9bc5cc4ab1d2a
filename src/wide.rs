//! Hot loops compiled a second time for AVX2, chosen at run time.
//!
//! The library is built for the baseline x86-64 (two `f64` or four `f32` per vector, no
//! `popcnt`). The loops that dominate a KernelSHAP explanation outside the model are plain
//! loops the compiler vectorises; compiled again with AVX2 enabled they run twice as wide:
//! the coalition rows' bitwise select (`backend::cpu`), the linear fit's Householder QR,
//! and the jackknife's Cholesky factorisations (one system at a time, and four side by
//! side, one per lane: `explain::shapley::batched_cholesky`), panel substitutions and
//! products; the interaction fit's Gram matrix and right side, counted in `sign_gram`,
//! count bits with the `popcnt` instruction that every AVX2 CPU has. The operations and
//! their order are the same, and without fused multiply-add (AVX2 alone does not enable
//! it, and Rust never contracts `a * b + c`) every IEEE result is the same, so both
//! versions give the same bits: explanations do not depend on the machine's vector width.

/// Defines `fn $name(args) -> ret` running `$portable(args)`: the copy compiled with AVX2
/// and `popcnt` where the CPU has them (same bits), else the baseline one. `$portable`
/// should be `#[inline(always)]`, with the loops it calls, so that its body is compiled
/// into both.
macro_rules! avx2_dispatch {
    ($(#[$attr:meta])* $vis:vis fn $name:ident($($arg:ident: $ty:ty),* $(,)?) $(-> $ret:ty)? => $portable:path;) => {
        $(#[$attr])*
        $vis fn $name($($arg: $ty),*) $(-> $ret)? {
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx2,popcnt")]
                fn wide($($arg: $ty),*) $(-> $ret)? {
                    $portable($($arg),*)
                }
                if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("popcnt") {
                    // SAFETY: `wide` only needs AVX2 and `popcnt`, which the CPU was just
                    // seen to have.
                    return unsafe { wide($($arg),*) };
                }
            }
            $portable($($arg),*)
        }
    };
}

pub(crate) use avx2_dispatch;
