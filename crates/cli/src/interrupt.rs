//! Ctrl-C as a cancellation, with the handler in place before anything is printed.
//!
//! `tokio::signal::ctrl_c()` installs its handler on first poll; in a spawned task that can come
//! after the command's first line, and a Ctrl-C (or a test's SIGINT) in between would kill the
//! process instead of stopping it cleanly with what it had recorded.

use tokio::signal::unix::{signal, SignalKind};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// Cancels `cancel` on the first Ctrl-C. Call inside the runtime; the handler is installed when
/// this returns. Should the OS refuse the handler, Ctrl-C keeps its default (it ends the process).
pub fn cancel_on_ctrl_c(cancel: CancellationToken) -> JoinHandle<()> {
    let interrupt = signal(SignalKind::interrupt());
    tokio::spawn(async move {
        if let Ok(mut interrupt) = interrupt {
            if interrupt.recv().await.is_some() {
                cancel.cancel();
            }
        }
    })
}
