//! Whether a request sent through ureq has begun to leave, for telling "never sent" from
//! "may have reached the server" when ureq reports an error; and no credential left behind
//! in a pooled connection's output buffer.
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
        let sent = self.inner.transmit_output(amount, timeout);
        // The bytes are gone (or never will be): the head's credential does not stay behind.
        let out = self.inner.buffers().output();
        let n = amount.min(out.len());
        zeroize::Zeroize::zeroize(&mut out[..n]);
        sent
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

#[cfg(test)]
mod tests {
    use super::*;
    use ureq::unversioned::transport::LazyBuffers;

    /// A transport that keeps what it is asked to send.
    #[derive(Debug)]
    struct Keep(LazyBuffers, Vec<u8>);

    impl Transport for Keep {
        fn buffers(&mut self) -> &mut dyn Buffers {
            &mut self.0
        }
        fn transmit_output(&mut self, amount: usize, _: NextTimeout) -> Result<(), ureq::Error> {
            let out = self.0.output()[..amount].to_vec();
            self.1.extend(out);
            Ok(())
        }
        fn await_input(&mut self, _: NextTimeout) -> Result<bool, ureq::Error> {
            Ok(false)
        }
        fn is_open(&mut self) -> bool {
            true
        }
    }

    #[test]
    fn a_write_is_noted_and_leaves_no_byte_in_the_output_buffer() {
        let head = b"GET / HTTP/1.1\r\nauthorization: Bearer SECRET\r\n\r\n";
        let mut t = NoteWrites {
            inner: Box::new(Keep(LazyBuffers::new(64, 64), Vec::new())),
            note: true,
        };
        t.buffers().output()[..head.len()].copy_from_slice(head);
        let ((), written) = watch(|| {
            t.transmit_output(head.len(), NextTimeout::default())
                .unwrap()
        });
        assert!(written);
        assert!(t.buffers().output().iter().all(|&b| b == 0));
        let ((), written) = watch(|| ());
        assert!(!written);
    }
}
