//! A report's inputs: size and SHA-256 of a file, of a folder's files, or
//! of bytes read from elsewhere. One definition for the CLI and Python, so
//! the provenance panel's hash of an input is the same from either.

use std::io::Read;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::InputFile;
use repscope::Error;

impl InputFile {
    /// A file, or a folder's files (recursively, in path order) hashed as
    /// one stream.
    pub fn of_path(path: &Path) -> Result<InputFile, Error> {
        let files = if path.is_dir() {
            files_in(path)?
        } else {
            vec![path.to_path_buf()]
        };
        let mut hasher = Sha256::new();
        let mut bytes = 0u64;
        let mut buffer = vec![0u8; 1 << 20];
        for f in &files {
            let io = |e: std::io::Error| Error::Io {
                path: f.clone(),
                source: e,
            };
            let mut file = std::fs::File::open(f).map_err(io)?;
            loop {
                let n = file.read(&mut buffer).map_err(io)?;
                if n == 0 {
                    break;
                }
                hasher.update(&buffer[..n]);
                bytes += n as u64;
            }
        }
        Ok(InputFile {
            path: path.display().to_string(),
            bytes,
            sha256: hex(&hasher.finalize()),
        })
    }

    /// Bytes that came from elsewhere than a file (bundled data), by name.
    pub fn of_bytes(name: &str, bytes: &[u8]) -> InputFile {
        InputFile {
            path: name.into(),
            bytes: bytes.len() as u64,
            sha256: hex(&Sha256::digest(bytes)),
        }
    }
}

/// Every file under `dir`, recursively, in path order.
pub fn files_in(dir: &Path) -> Result<Vec<PathBuf>, Error> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
        for entry in std::fs::read_dir(dir)? {
            let path = entry?.path();
            if path.is_dir() {
                walk(&path, out)?;
            } else {
                out.push(path);
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    walk(dir, &mut out).map_err(|e| Error::Io {
        path: dir.to_path_buf(),
        source: e,
    })?;
    out.sort();
    Ok(out)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_what_sha256sum_prints() {
        let e = InputFile::of_bytes("abc", b"abc");
        assert_eq!(
            e.sha256,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        std::fs::write(dir.path().join("sub/b"), b"c").unwrap();
        std::fs::write(dir.path().join("a"), b"ab").unwrap();
        let folder = InputFile::of_path(dir.path()).unwrap();
        assert_eq!((folder.bytes, folder.sha256), (3, e.sha256));
    }
}
