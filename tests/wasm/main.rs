//! Browser tests of the wasm module (wasm-bindgen-test in headless Chromium). The logic itself is
//! tested natively next to the code; these check that it behaves the same once compiled to wasm32
//! and run by a browser's engine.
//!
//! Run (`scripts/setup-wasm.sh browser` installs the runner, Chromium and ChromeDriver; the runner
//! is set in .cargo/config.toml):
//!   CHROMEDRIVER=/usr/bin/chromedriver cargo test --target wasm32-unknown-unknown -p skiff
#![cfg(target_arch = "wasm32")]

use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
fn md5_base64_matches_known_vectors() {
    let cases: [(&[u8], &str); 4] = [
        (b"", "1B2M2Y8AsgTpgAmY7PhCfg=="),
        (b"hello world", "XrY7u+Ae7tCTyyK7j1rNww=="),
        (&[b'a'; 56], "OwyKxwP4KLBMbBlwBtFyGA=="),
        // Many blocks: the 32-bit length arithmetic of wasm32 must not differ from the host's.
        (&[b'a'; 1_000_000], "dwfWrk4CfHDuoqk1wilvIQ=="),
    ];
    for (input, expected) in cases {
        assert_eq!(
            skiff::md5_base64(input),
            expected,
            "{} bytes of input",
            input.len()
        );
    }
}
