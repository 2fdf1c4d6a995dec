//! Token buckets per client for `/api/test-rate-limit`.
//!
//! Owns the arithmetic: a bucket holds `capacity` tokens and refills `capacity` every `window`, one at a
//! time; a request takes one or is told how many whole seconds until one is back. Time is passed in so
//! the arithmetic is testable. Who the client is and what the HTTP answer looks like is
//! `routes::ratelimit`.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// What a request got from its bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allowed { remaining: u32 },
    Limited { retry_after_secs: u64 },
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    last: Instant,
}

/// Buckets keyed by client.
#[derive(Debug)]
pub struct RateLimiter {
    capacity: u32,
    window: Duration,
    buckets: Mutex<HashMap<String, Bucket>>,
}

impl RateLimiter {
    pub fn new(capacity: u32, window: Duration) -> RateLimiter {
        RateLimiter {
            capacity: capacity.max(1),
            window: if window.is_zero() {
                Duration::from_secs(1)
            } else {
                window
            },
            buckets: Mutex::new(HashMap::new()),
        }
    }

    pub fn capacity(&self) -> u32 {
        self.capacity
    }

    pub fn window(&self) -> Duration {
        self.window
    }

    /// Takes one token from `client`'s bucket at time `now`.
    pub fn check(&self, client: &str, now: Instant) -> Decision {
        let capacity = f64::from(self.capacity);
        let per_sec = capacity / self.window.as_secs_f64();
        let Ok(mut buckets) = self.buckets.lock() else {
            // A poisoned lock means a panic elsewhere; failing open keeps the endpoint answering.
            return Decision::Allowed { remaining: 0 };
        };
        // Forget full buckets now and then, so many clients cannot grow the map without bound.
        if buckets.len() > 10_000 {
            let window = self.window;
            buckets.retain(|_, b| now.saturating_duration_since(b.last) < window);
        }
        let bucket = buckets.entry(client.to_owned()).or_insert(Bucket {
            tokens: capacity,
            last: now,
        });
        let elapsed = now.saturating_duration_since(bucket.last).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * per_sec).min(capacity);
        bucket.last = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Decision::Allowed {
                remaining: bucket.tokens.floor() as u32,
            }
        } else {
            let wait = (1.0 - bucket.tokens) / per_sec;
            Decision::Limited {
                retry_after_secs: (wait.ceil() as u64).max(1),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_then_limited_then_refilled() {
        let rl = RateLimiter::new(5, Duration::from_secs(10));
        let t0 = Instant::now();
        for i in 0..5 {
            assert_eq!(
                rl.check("a", t0),
                Decision::Allowed { remaining: 4 - i },
                "request {i} is within the budget"
            );
        }
        // One token comes back every 2 s.
        assert_eq!(rl.check("a", t0), Decision::Limited { retry_after_secs: 2 });
        assert_eq!(
            rl.check("b", t0),
            Decision::Allowed { remaining: 4 },
            "clients have their own buckets"
        );
        assert!(matches!(
            rl.check("a", t0 + Duration::from_secs(2)),
            Decision::Allowed { .. }
        ));
    }
}
