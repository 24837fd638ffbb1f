//! The fuzz smoke: every fuzz target (`repscope::fuzzing`) on its committed
//! seed corpus, its committed regression inputs (crashes once found), and a
//! seeded stream of mutations of them — bit flips, boundary values written
//! over integers, truncations, insertions, splices. A panic fails the test
//! and leaves the input in `target/fuzz-smoke/`. It is a short, repeatable
//! stand-in for the coverage-guided runs `FUZZING.md` describes.

use std::path::{Path, PathBuf};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use repscope::fuzzing::{TARGETS, corpus_dir};

/// Mutated inputs per target.
const MUTATIONS: usize = 20_000;
/// Reads are capped here, so a reader allocating from a header fails the
/// run instead of passing by luck on a large machine.
const READ_CAP: &str = "268435456";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn files(dir: &Path) -> Vec<Vec<u8>> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    paths.sort();
    paths.iter().filter_map(|p| std::fs::read(p).ok()).collect()
}

/// One mutation of `input` (with `other`, another corpus entry, to splice).
fn mutate(rng: &mut ChaCha8Rng, input: &[u8], other: &[u8]) -> Vec<u8> {
    let mut out = input.to_vec();
    let rounds = rng.random_range(1..=4);
    for _ in 0..rounds {
        let len = out.len();
        match rng.random_range(0..7) {
            0 if len > 0 => {
                let at = rng.random_range(0..len);
                out[at] ^= 1 << rng.random_range(0..8);
            }
            1 if len > 0 => {
                let at = rng.random_range(0..len);
                out[at] = [0, 1, 0x7f, 0x80, 0xff][rng.random_range(0..5)];
            }
            2 if len >= 8 => {
                // A boundary value over a 4- or 8-byte field (sizes, counts).
                let at = rng.random_range(0..len - 7);
                let value: u64 = [
                    0,
                    1,
                    u32::MAX as u64,
                    1 << 31,
                    1 << 40,
                    u64::MAX,
                    0x7fff_ffff,
                ][rng.random_range(0..7)];
                let width = if rng.random_bool(0.5) { 4 } else { 8 };
                let bytes = if rng.random_bool(0.5) {
                    value.to_le_bytes()
                } else {
                    value.to_be_bytes()
                };
                out[at..at + width].copy_from_slice(&bytes[..width]);
            }
            3 if len > 0 => out.truncate(rng.random_range(0..len)),
            4 => {
                let at = rng.random_range(0..=len);
                let extra: Vec<u8> = (0..rng.random_range(1..32)).map(|_| rng.random()).collect();
                out.splice(at..at, extra);
            }
            5 if !other.is_empty() => {
                let at = rng.random_range(0..=len);
                let from = rng.random_range(0..other.len());
                let take = rng.random_range(1..=(other.len() - from).min(256));
                out.splice(at..at, other[from..from + take].iter().copied());
            }
            _ if len > 1 => {
                // Repeat a chunk (a declared count of repeated records).
                let from = rng.random_range(0..len - 1);
                let take = rng.random_range(1..=(len - from).min(64));
                let chunk = out[from..from + take].to_vec();
                out.splice(from..from, chunk);
            }
            _ => out.push(rng.random()),
        }
    }
    out
}

fn run(name: &str, target: fn(&[u8]), input: &[u8]) {
    let result = std::panic::catch_unwind(|| target(input));
    if result.is_err() {
        let dir = root().join("target/fuzz-smoke");
        std::fs::create_dir_all(&dir).ok();
        let file = dir.join(format!("{name}-crash.bin"));
        std::fs::write(&file, input).ok();
        panic!(
            "fuzz target '{name}' panicked on an input saved as {}",
            file.display()
        );
    }
}

#[test]
fn every_reader_survives_its_corpus_regressions_and_seeded_mutations() {
    // SAFETY: set before any other thread of this test binary starts (its
    // only test), and read by the readers through `std::env::var`.
    unsafe { std::env::set_var(repscope::data::limits::READ_CAP_VARIABLE, READ_CAP) };
    for (i, (name, target)) in TARGETS.iter().enumerate() {
        let corpus = files(&corpus_dir(&root(), name));
        assert!(!corpus.is_empty(), "target '{name}' has no seed corpus");
        for input in corpus
            .iter()
            .chain(&files(&root().join("fuzz/regressions").join(name)))
        {
            run(name, *target, input);
        }
        let mut rng = ChaCha8Rng::seed_from_u64(0x5eed + i as u64);
        for _ in 0..MUTATIONS {
            let a = &corpus[rng.random_range(0..corpus.len())];
            let b = &corpus[rng.random_range(0..corpus.len())];
            run(name, *target, &mutate(&mut rng, a, b));
        }
    }
}
