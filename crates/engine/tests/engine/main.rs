//! Scenario tests of the engine against a scripted fake server on a virtual clock.
//! Run: `cargo test -p skiff-engine`.
#![allow(unreachable_pub)] // a test binary: `pub` only shares helpers between its modules

mod ahead;
mod contract;
mod control;
mod early;
mod grow;
mod intelligent;
mod opts;
mod regular;
mod rejoin;
mod sim;
mod widen;
