//! Limits on what a server may send, each configurable per context. Exceeding one is its own
//! error, never a silently shortened response.

/// The limits a context applies to every response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The largest response header section (status line and fields; also the trailer section),
    /// in bytes. Defaults to 64 KiB.
    pub header_section_bytes: usize,
    /// The most header fields in one response head. Defaults to 128.
    pub header_count: usize,
    /// The longest status line, in bytes. Defaults to 8 KiB.
    pub status_line_bytes: usize,
    /// The longest chunk-size line (size, extensions, CRLF), in bytes. Defaults to 4 KiB.
    pub chunk_line_bytes: usize,
    /// The most interim (1xx) responses before the final one. Defaults to 16.
    pub interim_responses: usize,
    /// The largest body, in bytes. Defaults to no limit: bodies are streamed, so their size
    /// does not cost memory.
    pub body_bytes: Option<u64>,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            header_section_bytes: 64 * 1024,
            header_count: 128,
            status_line_bytes: 8 * 1024,
            chunk_line_bytes: 4 * 1024,
            interim_responses: 16,
            body_bytes: None,
        }
    }
}

/// A limit as it appears in an error (limits beyond `u32::MAX` are reported as that).
pub(crate) fn clamp(limit: usize) -> u32 {
    u32::try_from(limit).unwrap_or(u32::MAX)
}
