#!/usr/bin/env bash
# Sourced by scripts/test.sh and scripts/check.sh: runs suites one after another, keeps going when
# one fails (so one run shows every failure), and counts them.
#
#   suite NAME COMMAND [ARG...]   runs one suite, prints its outcome and its time
#   rust_suites                   formatting, lints (native and wasm32) and the native Rust tests
#   suites_summary                prints the failures and the count; returns 1 if any suite failed

passed=0
failed=0
failures=()

suite() {
  local name=$1
  shift
  printf '\n==> %s\n' "$name"
  local t0=$SECONDS
  if "$@"; then
    passed=$((passed + 1))
    printf '<== %s: ok (%ss)\n' "$name" $((SECONDS - t0))
  else
    failed=$((failed + 1))
    failures+=("$name")
    printf '<== %s: FAILED (%ss)\n' "$name" $((SECONDS - t0))
  fi
}

# What needs no browser, no wasm build and no release build: the fast lane, and the start of
# `npm test`. The wasm32 lints cover both builds of the browser crate (with the picker, and the
# uploader alone, which compiles code the picker build does not).
rust_suites() {
  suite "rustfmt" cargo fmt --all --check
  suite "clippy" cargo clippy --locked --workspace --all-targets --quiet -- -D warnings
  suite "cargo test" cargo test --locked --workspace
  suite "clippy (wasm32)" cargo clippy --locked --target wasm32-unknown-unknown -p skiff -p skiff-protocol -p skiff-engine -p skiff-hash --all-targets --quiet -- -D warnings
  suite "clippy (wasm32, uploader build)" cargo clippy --locked --target wasm32-unknown-unknown -p skiff --no-default-features --lib --quiet -- -D warnings
}

suites_summary() {
  echo
  if [ "$failed" -gt 0 ]; then
    printf 'failed suites: %s\n' "${failures[*]}"
  fi
  echo "suites: $passed passed, $failed failed"
  [ "$failed" -eq 0 ]
}
