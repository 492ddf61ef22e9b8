//! Admission of connections: at most `max_connections` open at once, and at most
//! `max_connections_per_ip` from one address.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::limits::Limits;

/// The connections open, overall and per peer address.
#[derive(Debug)]
pub(crate) struct Connections {
    pub(crate) total: Arc<Semaphore>,
    per_ip: Mutex<HashMap<IpAddr, usize>>,
    max_per_ip: usize,
}

/// One open connection's place, given back when the connection ends.
pub(crate) struct Slot {
    connections: Arc<Connections>,
    ip: IpAddr,
    _permit: OwnedSemaphorePermit,
}

impl Connections {
    pub(crate) fn new(limits: &Limits) -> Arc<Self> {
        Arc::new(Self {
            total: Arc::new(Semaphore::new(limits.max_connections.max(1))),
            per_ip: Mutex::new(HashMap::new()),
            max_per_ip: limits.max_connections_per_ip.max(1),
        })
    }

    /// A place for a connection from `ip`, holding `permit`; `None` when `ip` has too many.
    pub(crate) fn admit(
        self: &Arc<Self>,
        ip: IpAddr,
        permit: OwnedSemaphorePermit,
    ) -> Option<Slot> {
        let mut per_ip = self.per_ip.lock().unwrap_or_else(PoisonError::into_inner);
        let open = per_ip.entry(ip).or_default();
        if *open >= self.max_per_ip {
            return None;
        }
        *open += 1;
        Some(Slot {
            connections: Arc::clone(self),
            ip,
            _permit: permit,
        })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut per_ip = self
            .connections
            .per_ip
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(open) = per_ip.get_mut(&self.ip) {
            *open = open.saturating_sub(1);
            if *open == 0 {
                per_ip.remove(&self.ip);
            }
        }
    }
}

/// Whether an accept error concerns only the connection being accepted.
pub(crate) fn is_connection_error(error: &std::io::Error) -> bool {
    use std::io::ErrorKind;
    matches!(
        error.kind(),
        ErrorKind::ConnectionRefused | ErrorKind::ConnectionAborted | ErrorKind::ConnectionReset
    )
}
