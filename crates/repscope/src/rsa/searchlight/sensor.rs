//! Sensor searchlight for MEG/EEG: a channel's neighbourhood (itself and
//! the channels adjacent to it) crossed with a time window.
//!
//! The data columns are channels × time points in channel-major order
//! (column `c · times + t`: a measurements × channels × times array
//! flattened in C order). The neighbourhood of column (c, t) holds every
//! (c', t') with c' = c or adjacent to c and t ≤ t' < t + window: the
//! pattern is the channels' samples over the window, concatenated (the
//! spatio-temporal searchlight of mne-rsa). A window that would run past
//! the last time point is cut there; [`SensorSearchlight::window_starts`]
//! lists the starts whose windows are whole.

use super::Neighbourhoods;
use crate::error::{Error, Result};
use crate::stats::signflip::check_channel_adjacency;

/// Channel neighbourhoods × time windows.
#[derive(Clone, Debug)]
pub struct SensorSearchlight {
    /// Per channel: itself first, then its neighbours in increasing order.
    neighbours: Vec<Vec<usize>>,
    times: usize,
    window: usize,
}

impl SensorSearchlight {
    /// `adjacency[c]` lists the channels adjacent to channel `c` (itself
    /// included or not; it is added); `times` time points per channel;
    /// windows of `window` points.
    pub fn new(adjacency: &[Vec<usize>], times: usize, window: usize) -> Result<Self> {
        let channels = adjacency.len();
        if channels == 0 || times == 0 {
            return Err(Error::Invalid {
                what: "sensor searchlight".into(),
                detail: format!("needs channels and time points, got {channels} × {times}"),
            });
        }
        if window == 0 || window > times {
            return Err(Error::OutOfRange {
                what: "sensor searchlight window (time points)".into(),
                value: window.to_string(),
                expected: format!("1 to {times}"),
            });
        }
        check_channel_adjacency(adjacency)?;
        let mut neighbours = Vec::with_capacity(channels);
        for (c, adjacent) in adjacency.iter().enumerate() {
            let mut others: Vec<usize> = adjacent.iter().copied().filter(|&a| a != c).collect();
            others.sort_unstable();
            others.dedup();
            let mut list = vec![c];
            list.extend(others);
            neighbours.push(list);
        }
        Ok(Self {
            neighbours,
            times,
            window,
        })
    }

    /// The channels in channel `c`'s neighbourhood (itself first).
    pub fn channels_of(&self, c: usize) -> &[usize] {
        &self.neighbours[c]
    }

    /// The time points at which a whole window starts, every `step`.
    pub fn window_starts(&self, step: usize) -> Vec<usize> {
        (0..=self.times - self.window)
            .step_by(step.max(1))
            .collect()
    }

    /// The data columns of every channel at the given window starts
    /// (channel-major), for [`super::SearchlightSpec::centres`].
    pub fn centres(&self, starts: &[usize]) -> Vec<usize> {
        (0..self.neighbours.len())
            .flat_map(|c| starts.iter().map(move |&t| c * self.times + t))
            .collect()
    }
}

impl Neighbourhoods for SensorSearchlight {
    fn n_columns(&self) -> usize {
        self.neighbours.len() * self.times
    }

    fn members(&self, centre: usize, out: &mut Vec<usize>) {
        out.clear();
        let (c, t) = (centre / self.times, centre % self.times);
        let end = (t + self.window).min(self.times);
        for &n in &self.neighbours[c] {
            out.extend((t..end).map(|s| n * self.times + s));
        }
    }

    fn place(&self, col: usize) -> String {
        format!(
            "channel {}, time point {}",
            col / self.times,
            col % self.times
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rsa::compare::{CompareMethod, compare};
    use crate::rsa::dissimilarity::{RdmMethod, RdmSpec, rdm};
    use crate::rsa::searchlight::{SearchlightSpec, model_maps};
    use faer::Mat;

    #[test]
    fn maps_equal_the_direct_computation_per_neighbourhood() {
        // A ring of 8 channels, each adjacent to the next and the previous.
        let (channels, times, window) = (8, 10, 3);
        let adjacency: Vec<Vec<usize>> = (0..channels)
            .map(|c| vec![(c + 1) % channels, (c + channels - 1) % channels])
            .collect();
        let light = SensorSearchlight::new(&adjacency, times, window).unwrap();
        assert_eq!(light.channels_of(0), [0, 1, 7]);
        let starts = light.window_starts(2);
        assert_eq!(starts, [0, 2, 4, 6]);
        let centres = light.centres(&starts);
        let (k, reps) = (4, 3);
        let data = crate::testing::gaussian(k * reps, channels * times, 9);
        let conditions: Vec<usize> = (0..k * reps).map(|r| r % k).collect();
        let model: Vec<f64> = (0..6).map(|i| i as f64).collect();
        let spec = SearchlightSpec {
            rdm: RdmSpec {
                conditions: Some(&conditions),
                ..RdmSpec::new(RdmMethod::Correlation)
            },
            min_voxels: 1,
            noise: None,
            centres: Some(&centres),
            block_bytes: None,
        };
        let maps = model_maps(
            &light,
            data.as_ref(),
            &spec,
            &[&model],
            CompareMethod::Corr,
            &|_, _| {},
        )
        .unwrap();
        let mut members = Vec::new();
        for (col, &got) in maps[0].iter().enumerate() {
            if !centres.contains(&col) {
                assert!(got.is_nan());
                continue;
            }
            light.members(col, &mut members);
            assert_eq!(members.len(), 3 * window);
            let x = Mat::from_fn(data.nrows(), members.len(), |i, j| data[(i, members[j])]);
            let direct = rdm(x.as_ref(), &spec.rdm).unwrap();
            let want = compare(&[&direct], &[&model], CompareMethod::Corr, None).unwrap();
            assert!((got - want[(0, 0)]).abs() <= 1e-12);
        }
        assert!(SensorSearchlight::new(&adjacency, times, 11).is_err());
        let e = SensorSearchlight::new(&[vec![3]], 5, 2).unwrap_err();
        assert!(e.to_string().contains("adjacent to channel 3"), "{e}");
    }
}
