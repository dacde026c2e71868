//! The upload tasks running in the page, and their shares of the browser's connections.
//!
//! Each `client.upload` call and each file the picker uploads runs an engine of its own, and an
//! engine alone keeps up to six requests in flight: the connections a browser keeps to a host
//! over HTTP/1.1. Four picker files at once asked the browser for twelve, and the six it held
//! back waited in its queue with their timeouts running. So the tasks share the six: each task
//! sending (not paused) gets its share (`skiff_engine::connection_share`), which its driver reads
//! before each turn of its engine. A share that grows (another task ended or paused) is taken up
//! at the task's next event, which a task with requests in flight has every few tens of ms. One
//! page is taken to upload to one server; two servers in one page share the six too, which costs
//! speed, never a timeout.

use std::cell::Cell;

thread_local! {
    static NEXT_KEY: Cell<u64> = const { Cell::new(0) };
    /// The keys of the tasks sending; the first ones get what does not divide evenly. A `Cell`
    /// taken and put back: no borrow to panic on.
    static SENDING: Cell<Vec<u64>> = const { Cell::new(Vec::new()) };
}

/// Changes the list of tasks sending.
fn edit(f: impl FnOnce(&mut Vec<u64>)) {
    SENDING.with(|c| {
        let mut keys = c.take();
        f(&mut keys);
        c.set(keys);
    });
}

/// A task's place among the running ones; dropping it hands its connections to the others.
pub(crate) struct Share(u64);

/// Enters a task, sending.
pub(crate) fn join() -> Share {
    let key = NEXT_KEY.get() + 1;
    NEXT_KEY.set(key);
    edit(|keys| keys.push(key));
    Share(key)
}

impl Share {
    /// The task paused (`false`: its connections go to the others) or resumed.
    pub(crate) fn sending(&self, sending: bool) {
        self.leave();
        if sending {
            edit(|keys| keys.push(self.0));
        }
    }

    /// The connections this task may use now (a paused task gets a share as if it were last).
    pub(crate) fn connections(&self) -> usize {
        let mut share = 0;
        edit(|keys| {
            let i = keys.iter().position(|k| *k == self.0).unwrap_or(keys.len());
            share = skiff_engine::connection_share(keys.len().max(i + 1), i);
        });
        share
    }

    fn leave(&self) {
        edit(|keys| {
            if let Some(i) = keys.iter().position(|k| *k == self.0) {
                // Out of order: who gets what does not divide evenly matters little.
                keys.swap_remove(i);
            }
        });
    }
}

impl Drop for Share {
    fn drop(&mut self) {
        self.leave();
    }
}
