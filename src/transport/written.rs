//! Whether a request sent through ureq has begun to leave, for telling "never sent" from
//! "may have reached the server" when ureq reports an error.
//!
//! ureq's errors do not say at which step they happened (a TLS error may come from the
//! handshake or from the answer). The last layer of its connector chain wraps every
//! connection and notes, on the calling thread, the first write of a request: the
//! handshake and a proxy's SOCKS exchange are written by the layers below it, and the
//! connection to a CONNECT proxy (which ureq makes through the whole chain, with the proxy
//! taken out of its config) is passed through unwatched.
//! ureq runs a request on its caller's thread, so a thread-local holds the note.

use std::cell::Cell;
use ureq::unversioned::transport::{
    Buffers, ConnectionDetails, Connector, DefaultConnector, NextTimeout, Transport,
};

thread_local! {
    static WRITTEN: Cell<bool> = const { Cell::new(false) };
}

/// ureq's default connectors, then the layer that notes writes. `proxied`: the agent has
/// a proxy.
pub(super) fn connector(proxied: bool) -> impl Connector<(), Out = NoteWrites> {
    DefaultConnector::new().chain(NoteWritesConnector { proxied })
}

/// Runs `send` (one ureq request) and says whether it wrote any of the request.
pub(super) fn watch<T>(send: impl FnOnce() -> T) -> (T, bool) {
    WRITTEN.with(|w| w.set(false));
    let out = send();
    (out, WRITTEN.with(|w| w.get()))
}

#[derive(Debug)]
pub(super) struct NoteWritesConnector {
    proxied: bool,
}

impl Connector<Box<dyn Transport>> for NoteWritesConnector {
    type Out = NoteWrites;

    fn connect(
        &self,
        details: &ConnectionDetails,
        chained: Option<Box<dyn Transport>>,
    ) -> Result<Option<NoteWrites>, ureq::Error> {
        // Without a proxy in an agent that has one: the connection to a CONNECT proxy.
        let to_proxy = self.proxied && details.config.proxy().is_none();
        Ok(chained.map(|t| NoteWrites {
            inner: t,
            note: !to_proxy,
        }))
    }
}

#[derive(Debug)]
pub(super) struct NoteWrites {
    inner: Box<dyn Transport>,
    note: bool,
}

impl Transport for NoteWrites {
    fn buffers(&mut self) -> &mut dyn Buffers {
        self.inner.buffers()
    }

    fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), ureq::Error> {
        if self.note {
            WRITTEN.with(|w| w.set(true));
        }
        self.inner.transmit_output(amount, timeout)
    }

    fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, ureq::Error> {
        self.inner.await_input(timeout)
    }

    fn is_open(&mut self) -> bool {
        self.inner.is_open()
    }

    fn is_tls(&self) -> bool {
        self.inner.is_tls()
    }
}
