//! The committed `include/lumen.h` must be exactly what cbindgen generates from the source.
//! Regenerate with `LUMEN_BLESS_HEADER=1 cargo test --test header`.

use std::path::Path;

#[test]
fn committed_header_matches_generated() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = cbindgen::Config::from_file(root.join("cbindgen.toml")).expect("cbindgen.toml parses");
    let bindings = cbindgen::Builder::new()
        .with_crate(root)
        .with_config(config)
        .generate()
        .expect("cbindgen generates the header");
    let mut generated = Vec::new();
    bindings.write(&mut generated);
    let path = root.join("include/lumen.h");
    if std::env::var_os("LUMEN_BLESS_HEADER").is_some() {
        std::fs::write(&path, &generated).expect("include/lumen.h is writable");
        return;
    }
    let committed = std::fs::read(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "include/lumen.h is stale: regenerate it with `LUMEN_BLESS_HEADER=1 cargo test --test header` and commit it"
    );
}
