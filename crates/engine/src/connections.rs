//! The browser's connections to a host, and how engines running side by side share them.
//!
//! Over HTTP/1.1 a browser keeps six connections to a host; a request beyond them waits in the
//! browser's own queue, unseen by the server, while its timeout runs and (for a chunk) the time
//! the chunk controller measures grows. One engine keeps its requests within the six. Several
//! engines in one page (the picker uploads each file with its own) would not: four files of
//! three parts each asked the browser for twelve requests at once. So the driver gives each
//! running engine its share ([`Engine::set_connections`](crate::Engine::set_connections)).

/// Requests in flight at most for one engine alone: the connections a browser keeps to one host
/// over HTTP/1.1.
pub(crate) const MAX_IN_FLIGHT: usize = 6;

/// The connections the `i`-th of `engines` running engines may use: the six split as evenly as
/// they go, the first ones taking what does not divide. Every engine gets at least one, so
/// beyond six engines the browser queues again rather than an upload stalling.
pub fn share(engines: usize, i: usize) -> usize {
    let engines = engines.max(1);
    (MAX_IN_FLIGHT / engines + usize::from(i < MAX_IN_FLIGHT % engines)).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_split_six_connections_among_engines_first_ones_first() {
        let shares = |n| (0..n).map(|i| share(n, i)).collect::<Vec<_>>();
        assert_eq!(shares(1), [6]);
        assert_eq!(shares(2), [3, 3]);
        assert_eq!(shares(4), [2, 2, 1, 1]);
        assert_eq!(shares(5), [2, 1, 1, 1, 1]);
        assert_eq!(shares(6), [1; 6]);
        assert_eq!(shares(8), [1; 8], "every engine keeps one");
        for n in 1..=6 {
            assert_eq!(
                shares(n).iter().sum::<usize>(),
                MAX_IN_FLIGHT,
                "{n} engines use all six"
            );
        }
    }
}
