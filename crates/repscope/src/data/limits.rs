//! Caps on what a reader may allocate from what a file says: a size in a
//! header, or the output of a compressed stream, is checked before the
//! memory is taken, so a corrupt or hostile file is an error in
//! microseconds, not an out-of-memory kill.
//!
//! Two bounds apply to every decompressed stream: deflate cannot expand
//! data more than [`MAX_DEFLATE_RATIO`]-fold, so more output than that is
//! corruption; and [`read_cap`], the memory this process may still use or
//! the cap set by `REPSCOPE_MAX_READ_BYTES` (bytes), whichever is smaller.

use std::io::Read;
use std::path::Path;

use crate::error::{Error, Result};

/// Deflate cannot expand data more than 1032-fold (a 258-byte match costs
/// at least two bits); a stream that inflates further is corrupt.
pub const MAX_DEFLATE_RATIO: u64 = 1032;

/// The environment variable that caps one read (bytes).
pub const READ_CAP_VARIABLE: &str = "REPSCOPE_MAX_READ_BYTES";

/// The most bytes one read may allocate: `REPSCOPE_MAX_READ_BYTES` when
/// set, else the memory the system says this process may still use, else
/// unbounded.
pub fn read_cap() -> u64 {
    let configured = std::env::var(READ_CAP_VARIABLE)
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok());
    match (configured, crate::memory::available_bytes()) {
        (Some(c), Some(a)) => c.min(a),
        (Some(c), None) => c,
        (None, Some(a)) => a,
        (None, None) => u64::MAX,
    }
}

/// Refuses an allocation of `bytes` (declared by `what` in the file) over
/// [`read_cap`].
pub fn check_allocation(bytes: u64, path: &Path, what: &str) -> Result<()> {
    let cap = read_cap();
    if bytes > cap {
        return Err(Error::format(
            path,
            format!(
                "{what} declares {bytes} bytes, more than this process may use ({cap} bytes; \
                 {READ_CAP_VARIABLE} sets the cap)"
            ),
            "the file is corrupt, or too large for this machine: read a part of it",
        ));
    }
    Ok(())
}

/// Reads a decompressing `reader` fed by `compressed` bytes to its end,
/// refusing output past deflate's ratio or [`read_cap`]; `what` names the
/// stream in messages.
pub fn read_inflated(
    reader: &mut dyn Read,
    compressed: u64,
    path: &Path,
    what: &str,
) -> Result<Vec<u8>> {
    let ratio_bound = compressed
        .saturating_mul(MAX_DEFLATE_RATIO)
        .saturating_add(1024);
    let cap = ratio_bound.min(read_cap());
    let mut out = Vec::new();
    reader
        .take(cap.saturating_add(1))
        .read_to_end(&mut out)
        .map_err(|e| {
            Error::format(
                path,
                format!("{what} could not be decompressed ({e})"),
                "the file is corrupt or truncated; re-save it",
            )
        })?;
    if out.len() as u64 > cap {
        let why = if cap == ratio_bound {
            format!("more than {compressed} compressed bytes can hold")
        } else {
            format!("more than this process may use ({READ_CAP_VARIABLE} sets the cap)")
        };
        return Err(Error::format(
            path,
            format!("{what} inflates past {cap} bytes, {why}"),
            "the file is corrupt, or too large for this machine",
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn a_stream_that_inflates_past_the_cap_is_refused() {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        encoder.write_all(&vec![0u8; 4 << 20]).unwrap();
        let gz = encoder.finish().unwrap();
        let path = Path::new("bomb.nii.gz");
        let mut reader = flate2::read::MultiGzDecoder::new(&gz[..]);
        let all = read_inflated(&mut reader, gz.len() as u64, path, "the gzip stream").unwrap();
        assert_eq!(all.len(), 4 << 20);
        // Claiming fewer compressed bytes than deflate needs for 4 MiB.
        let mut reader = flate2::read::MultiGzDecoder::new(&gz[..]);
        let err = read_inflated(&mut reader, 100, path, "the gzip stream").unwrap_err();
        assert!(
            err.to_string().contains("compressed bytes can hold"),
            "{err}"
        );
        assert!(check_allocation(u64::MAX, path, "the header").is_err());
    }
}
