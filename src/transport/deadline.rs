//! A TCP socket whose every read and write is bounded by the time left to one deadline.
//!
//! rustls reads a whole record through one `read` of its stream, which may be many socket
//! reads: a socket timeout set once per call would let a server that trickles bytes hold a
//! call for as long as it likes. Here each socket read and write first sets the socket's
//! timeout to the time left (only when that changed, in whole milliseconds), and fails with
//! `TimedOut` once none is left. A read or write cut by a signal handler (EINTR: a socket
//! with a timeout is never restarted, SA_RESTART or not) is tried again within the same
//! deadline, so a program's Ctrl-C or Python's handlers neither end nor repeat a request.

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

pub(super) struct DeadlineSocket {
    tcp: TcpStream,
    deadline: Instant,
    /// The socket timeouts last set, so that they are set only when they change.
    read_timeout: Option<Duration>,
    write_timeout: Option<Duration>,
}

impl DeadlineSocket {
    pub(super) fn new(tcp: TcpStream, deadline: Instant) -> DeadlineSocket {
        DeadlineSocket {
            tcp,
            deadline,
            read_timeout: None,
            write_timeout: None,
        }
    }

    pub(super) fn set_deadline(&mut self, deadline: Instant) {
        self.deadline = deadline;
    }

    pub(super) fn tcp(&self) -> &TcpStream {
        &self.tcp
    }

    /// The time left, rounded up to whole milliseconds: rounded, it stays the same from one
    /// request to the next, and the socket timeout is not set again.
    fn left(&self) -> io::Result<Duration> {
        let left = self.deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(io::Error::new(io::ErrorKind::TimedOut, "deadline passed"));
        }
        let ms = u64::try_from(left.as_nanos().div_ceil(1_000_000)).unwrap_or(u64::MAX);
        Ok(Duration::from_millis(ms))
    }
}

impl DeadlineSocket {
    fn refresh_read_timeout(&mut self) -> io::Result<()> {
        let left = Some(self.left()?);
        if self.read_timeout != left {
            self.tcp.set_read_timeout(left)?;
            self.read_timeout = left;
        }
        Ok(())
    }

    fn refresh_write_timeout(&mut self) -> io::Result<()> {
        let left = Some(self.left()?);
        if self.write_timeout != left {
            self.tcp.set_write_timeout(left)?;
            self.write_timeout = left;
        }
        Ok(())
    }
}

impl Read for DeadlineSocket {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.refresh_read_timeout()?;
        loop {
            match self.tcp.read(buf) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => self.refresh_read_timeout()?,
                done => return done,
            }
        }
    }
}

impl Write for DeadlineSocket {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.refresh_write_timeout()?;
        loop {
            match self.tcp.write(buf) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => self.refresh_write_timeout()?,
                done => return done,
            }
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        self.tcp.flush()
    }
}
