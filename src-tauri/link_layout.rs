// Code layout of release builds (x86-64 Linux, linked by LLD): the functions the window runs from
// launch to an idle first screen are placed next to each other, in the order of
// `layout/<binary>.order` (written by `tests/e2e/layout.sh`, from a run under callgrind). Linked
// as the compiler lays them out, the few thousand functions a launch runs are spread over the
// binary's 25 MB of code and every first call maps its 64 KiB of neighbours (the kernel's
// fault-around): 14 MiB of the app's code resident for ~3 MiB that ran. Included by the app's
// build script and by the hello-world's, which measure.sh compares it with (the same treatment
// on both sides). `FLIGHTDECK_LINK_LAYOUT=0` links without it.

/// Ask the linker to place `bin`'s functions named in `order` first, when this build is a
/// release build for x86-64 Linux linked by LLD (Rust's default linker there since 1.90).
fn link_layout(bin: &str, order: &std::path::Path) {
    println!("cargo:rerun-if-changed={}", order.display());
    let order = std::path::Path::new(&std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default()).join(order);
    println!("cargo:rerun-if-env-changed=FLIGHTDECK_LINK_LAYOUT");
    let var = |k: &str| std::env::var(k).unwrap_or_default();
    let target = (
        var("CARGO_CFG_TARGET_ARCH"),
        var("CARGO_CFG_TARGET_OS"),
        var("CARGO_CFG_TARGET_ENV"),
    );
    if var("FLIGHTDECK_LINK_LAYOUT") == "0"
        || var("PROFILE") != "release"
        || target != ("x86_64".into(), "linux".into(), "gnu".into())
        || !order.exists()
    {
        return;
    }
    // Another linker (a configured one, or LLD turned off) may not know the option.
    let flags = var("CARGO_ENCODED_RUSTFLAGS");
    if std::env::var_os("CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_LINKER").is_some()
        || flags.contains("linker")
        || flags.contains("link-self-contained")
    {
        println!("cargo:warning=a linker is configured: {bin} is linked without its code layout (src-tauri/link_layout.rs)");
        return;
    }
    if !rustc_links_with_lld() {
        return;
    }
    println!(
        "cargo:rustc-link-arg-bin={bin}=-Wl,--symbol-ordering-file={}",
        order.display()
    );
    // A name the binary no longer has (renamed by a new compiler or dependency) is skipped.
    println!("cargo:rustc-link-arg-bin={bin}=-Wl,--no-warn-symbol-ordering");
}

/// Rust 1.90 and later link x86_64-unknown-linux-gnu with its own LLD by default.
fn rustc_links_with_lld() -> bool {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let Ok(out) = std::process::Command::new(rustc).arg("-V").output() else {
        return false;
    };
    let version = String::from_utf8_lossy(&out.stdout);
    // "rustc 1.95.0 (59807616e 2026-04-14)"
    let mut parts = version.split_whitespace().nth(1).unwrap_or("").split('.');
    let major: u32 = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    let minor: u32 = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    (major, minor) >= (1, 90)
}
