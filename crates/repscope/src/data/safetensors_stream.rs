//! A `.safetensors` file written batch by batch, for outputs larger than
//! memory (activations of many stimuli).
//!
//! The number of stimuli and every representation's width are known before
//! the first row is written, so the header (shapes and byte offsets) is
//! written first and each batch of rows goes straight to its place in the
//! file: memory holds one batch, whatever the number of stimuli. The file
//! is written under a temporary name beside the destination (ending in
//! `.partial`) and renamed only by [`StreamedSafetensors::finish`] once
//! every row is in; an error or an interruption drops the writer, which
//! removes the temporary file, so no file that looks complete is left.
//!
//! The layout is the one [`super::safetensors_io`] reads: float32 tensors
//! of stimuli × units in row-major order, with repscope's order and
//! stimulus labels in the metadata; [`super::source::SafetensorsSource`]
//! reads it lazily (`--stream`, `rs.load_rows`).

use std::collections::BTreeMap;
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use super::safetensors_io::{ORDER_KEY, STIMULI_KEY, to_json};
use crate::error::{Error, Result};

/// One representation's rows, streamed.
struct Slot {
    units: usize,
    /// Byte offset of its first row in the file.
    start: u64,
    /// Rows written so far (they are written in order).
    rows: usize,
}

/// A `.safetensors` file of float32 representations, filled row batch by
/// row batch and published atomically.
pub struct StreamedSafetensors {
    path: PathBuf,
    temp: tempfile::NamedTempFile,
    names: Vec<String>,
    slots: Vec<Slot>,
    n_stimuli: usize,
}

impl StreamedSafetensors {
    /// Starts `path` for `n_stimuli` rows of each `(name, units)`; the
    /// header is written now and the file sized to hold every row.
    pub fn create(
        path: &Path,
        layout: &[(String, usize)],
        n_stimuli: usize,
        stimuli: Option<&[String]>,
    ) -> Result<Self> {
        if layout.is_empty() || n_stimuli == 0 {
            return Err(Error::Invalid {
                what: "streamed output".into(),
                detail: "it needs at least one representation and one stimulus".into(),
            });
        }
        if let Some(s) = stimuli
            && s.len() != n_stimuli
        {
            return Err(Error::internal(format!(
                "{} stimulus labels for {n_stimuli} stimuli",
                s.len()
            )));
        }
        let mut tensors = serde_json::Map::new();
        let mut offset: u64 = 0;
        let mut slots = Vec::with_capacity(layout.len());
        for (name, units) in layout {
            if *units == 0 {
                return Err(Error::Invalid {
                    what: format!("representation '{name}'"),
                    detail: "it has 0 units".into(),
                });
            }
            let bytes = (n_stimuli as u64)
                .checked_mul(*units as u64)
                .and_then(|v| v.checked_mul(4))
                .ok_or_else(|| Error::internal(format!("'{name}' is too large to store")))?;
            tensors.insert(
                name.clone(),
                serde_json::json!({
                    "dtype": "F32",
                    "shape": [n_stimuli, units],
                    "data_offsets": [offset, offset + bytes],
                }),
            );
            slots.push(Slot {
                units: *units,
                start: offset,
                rows: 0,
            });
            offset += bytes;
        }
        let names: Vec<String> = layout.iter().map(|(n, _)| n.clone()).collect();
        let mut metadata = BTreeMap::new();
        metadata.insert(ORDER_KEY, to_json(&names)?);
        if let Some(s) = stimuli {
            metadata.insert(STIMULI_KEY, to_json(s)?);
        }
        tensors.insert(
            "__metadata__".into(),
            serde_json::to_value(metadata).map_err(|e| Error::internal(e.to_string()))?,
        );
        let mut header =
            serde_json::to_vec(&tensors).map_err(|e| Error::internal(e.to_string()))?;
        // The data start 8-byte aligned, as the safetensors crate writes them.
        while (header.len() + 8) % 8 != 0 {
            header.push(b' ');
        }
        let data_start = 8 + header.len() as u64;
        let temp = super::atomic::temp_beside(path)?;
        let mut file = temp.as_file();
        let io = |e| Error::io(path, e);
        file.write_all(&(header.len() as u64).to_le_bytes())
            .map_err(io)?;
        file.write_all(&header).map_err(io)?;
        file.set_len(data_start + offset).map_err(io)?;
        for slot in &mut slots {
            slot.start += data_start;
        }
        Ok(Self {
            path: path.to_path_buf(),
            temp,
            names,
            slots,
            n_stimuli,
        })
    }

    /// The representations' names, in the file's order.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Appends rows to representation `index`: `values` holds whole rows,
    /// row-major, continuing where the last call stopped.
    pub fn append(&mut self, index: usize, values: &[f32]) -> Result<()> {
        let slot = self
            .slots
            .get_mut(index)
            .ok_or_else(|| Error::internal(format!("no streamed representation {index}")))?;
        if values.len() % slot.units != 0 {
            return Err(Error::internal(format!(
                "'{}': {} values are not whole rows of {} units",
                self.names[index],
                values.len(),
                slot.units
            )));
        }
        let rows = values.len() / slot.units;
        if slot.rows + rows > self.n_stimuli {
            return Err(Error::internal(format!(
                "'{}': more than {} rows",
                self.names[index], self.n_stimuli
            )));
        }
        let at = slot.start + (slot.rows * slot.units * 4) as u64;
        let mut bytes = Vec::with_capacity(values.len() * 4);
        for v in values {
            bytes.extend_from_slice(&v.to_le_bytes());
        }
        let mut file = self.temp.as_file();
        file.seek(SeekFrom::Start(at))
            .and_then(|_| file.write_all(&bytes))
            .map_err(|e| Error::io(&self.path, e))?;
        slot.rows += rows;
        Ok(())
    }

    /// Publishes the file once every representation holds every row.
    pub fn finish(self) -> Result<()> {
        if let Some((i, slot)) = self
            .slots
            .iter()
            .enumerate()
            .find(|(_, s)| s.rows != self.n_stimuli)
        {
            return Err(Error::internal(format!(
                "'{}' has {} of {} rows; the output was not published",
                self.names[i], slot.rows, self.n_stimuli
            )));
        }
        let io = |e| Error::io(&self.path, e);
        self.temp.as_file().sync_all().map_err(io)?;
        self.temp
            .persist(&self.path)
            .map_err(|e| Error::io(&self.path, e.error))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streamed_file_reads_back_as_written() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("acts.safetensors");
        let layout = [("conv".to_string(), 3), ("fc".to_string(), 2)];
        let labels: Vec<String> = (0..4).map(|i| format!("s{i}")).collect();
        let mut w = StreamedSafetensors::create(&path, &layout, 4, Some(&labels)).unwrap();
        for batch in 0..2 {
            let b = batch as f32;
            w.append(0, &[b, 1.0, 2.0, b, 3.0, 4.0]).unwrap();
            w.append(1, &[b, -1.0, b, -2.0]).unwrap();
        }
        assert!(!path.exists(), "nothing is published before finish");
        w.finish().unwrap();
        let set = crate::data::load(&path).unwrap();
        assert_eq!(set.names(), ["conv", "fc"]);
        assert_eq!(set.stimuli().unwrap(), labels.as_slice());
        let conv = set.views()[0].x;
        assert_eq!((conv.nrows(), conv.ncols()), (4, 3));
        assert_eq!(conv[(2, 0)], 1.0);
        assert_eq!(conv[(3, 2)], 4.0);
        assert_eq!(set.views()[1].x[(3, 1)], -2.0);
        let source = crate::data::source::SafetensorsSource::open(&path).unwrap();
        use crate::data::source::RepSource;
        assert_eq!(source.load_rows(1, 2..4).unwrap()[(1, 1)], -2.0);
    }

    #[test]
    fn an_unfinished_file_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("acts.safetensors");
        let layout = [("a".to_string(), 2)];
        let mut w = StreamedSafetensors::create(&path, &layout, 3, None).unwrap();
        w.append(0, &[1.0, 2.0]).unwrap();
        assert!(w.append(0, &[1.0]).is_err(), "a partial row is refused");
        drop(w);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        let mut w = StreamedSafetensors::create(&path, &layout, 1, None).unwrap();
        w.append(0, &[1.0, 2.0]).unwrap();
        assert!(w.append(0, &[1.0, 2.0]).is_err(), "rows beyond the stimuli");
        let w = StreamedSafetensors::create(&path, &layout, 2, None).unwrap();
        assert!(w.finish().is_err(), "missing rows are not published");
        assert!(!path.exists());
    }
}
