//! Ctrl-C and SIGTERM: the first asks hwinv to stop cleanly (running probes are killed, buffered samples
//! flushed, events recorded); a second one while stopping ends the process at once.
//!
//! One flag for the whole process, set from the signal handler through signal-hook (an atomic store, the
//! only thing a handler may safely do); long-running loops poll [`stop_requested`].

use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::SigId;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

/// Exit status after an interrupted run, as shells report a process killed by SIGINT.
pub const INTERRUPTED_EXIT: u8 = 130;

fn flag() -> &'static Arc<AtomicBool> {
    static FLAG: OnceLock<Arc<AtomicBool>> = OnceLock::new();
    FLAG.get_or_init(|| Arc::new(AtomicBool::new(false)))
}

/// Whether a stop was requested (a signal arrived, or [`request_stop`] was called).
pub fn stop_requested() -> bool {
    flag().load(Ordering::SeqCst)
}

/// Ask every running child to be killed and no new one to start.
pub fn request_stop() {
    flag().store(true, Ordering::SeqCst);
}

/// Handlers for SIGINT and SIGTERM, removed again when dropped (the default action returns).
#[derive(Debug)]
pub struct StopOnSignal {
    ids: Vec<SigId>,
}

impl StopOnSignal {
    /// Install the handlers. Registration failures are ignored: the run then simply ends on a signal,
    /// as it would without hwinv's help.
    pub fn install() -> Self {
        let mut ids = Vec::new();
        for sig in [SIGINT, SIGTERM] {
            // Registered before the flag setter, so the first signal only sets the flag and the second,
            // finding it set, exits.
            if let Ok(id) = signal_hook::flag::register_conditional_shutdown(
                sig,
                i32::from(INTERRUPTED_EXIT),
                Arc::clone(flag()),
            ) {
                ids.push(id);
            }
            if let Ok(id) = signal_hook::flag::register(sig, Arc::clone(flag())) {
                ids.push(id);
            }
        }
        Self { ids }
    }
}

impl Drop for StopOnSignal {
    fn drop(&mut self) {
        for id in self.ids.drain(..) {
            signal_hook::low_level::unregister(id);
        }
    }
}
