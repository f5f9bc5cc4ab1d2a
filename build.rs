//! Build script of the `lumen` crate: gives the shared library (`liblumen.so`) the SONAME
//! `liblumen.so.MAJOR` on ELF platforms, so that programs linked against it record the ABI
//! line they need (see "ABI policy" in the README). Only this package's cdylib gets it;
//! the rlib and staticlib, and cdylibs of other packages linking the rlib (lumen-jni), do not.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let elf = matches!(os.as_str(), "linux" | "android" | "freebsd" | "netbsd" | "openbsd" | "dragonfly" | "illumos");
    if elf {
        let major = std::env::var("CARGO_PKG_VERSION_MAJOR").unwrap_or_else(|_| "0".to_owned());
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,liblumen.so.{major}");
    }
}
