//! The nearest of `k` centroids to a point: the inner loop of k-means
//! (every Lloyd iteration assigns every point) and of product-quantiser
//! encoding; and, for k-means++ seeding, every point's distance to one new
//! centre ([`PointTable`]).
//!
//! The answer is defined by the plain squared distance, summed in order,
//! `Σ_t (x_t − c_t)²` (ties to the lower index), and it is exactly that
//! answer that [`CentroidTable::nearest`] returns, bit for bit. Computing
//! that sum for every centroid costs three operations per coordinate. So
//! each centroid is first *screened* with the expansion
//! `‖c‖² − 2 x·c` (the distance less the point's constant `‖x‖²`), one
//! fused multiply-add per coordinate, and only centroids whose screened
//! value lies within a rounding-error margin of the best screened value
//! so far get the exact sum. The margin is a bound on the rounding error
//! of both computations (below), so the exact winner is always among them;
//! in practice one to a few centroids per point are checked.
//!
//! Layout: centroids in blocks of [`BLOCK`]; within a block one coordinate
//! of all its centroids is contiguous (`d × BLOCK` values), so a block's
//! screened values accumulate in registers, side by side.
//!
//! The crate is built for baseline x86-64 (SSE2, no FMA), so on x86-64 the
//! loop is also compiled for AVX2+FMA and AVX-512F and chosen once per
//! table at run time. Screening differs between them only in rounding
//! (fused or not), which the margin covers; the exact sums are the same
//! code everywhere, so every path returns the same result.

/// Centroids per block: 32 f64 accumulators fill four AVX-512 or eight AVX2
/// registers, enough independent additions to hide their latency.
const BLOCK: usize = 32;
/// Running minima kept per block (one AVX-512 register of f64).
const LANES: usize = 8;

/// Which compiled copy of the loop this CPU runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kernel {
    Baseline,
    #[cfg(target_arch = "x86_64")]
    Avx2Fma,
    #[cfg(target_arch = "x86_64")]
    Avx512,
}

impl Kernel {
    fn detect() -> Kernel {
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx512f") {
                return Kernel::Avx512;
            }
            if std::arch::is_x86_feature_detected!("avx2")
                && std::arch::is_x86_feature_detected!("fma")
            {
                return Kernel::Avx2Fma;
            }
        }
        Kernel::Baseline
    }
}

/// `k` centroids of `d` coordinates, laid out for [`CentroidTable::nearest`].
pub struct CentroidTable {
    k: usize,
    d: usize,
    /// `blocks × d × BLOCK`; padding lanes of the last block hold zeros.
    blocked: Vec<f64>,
    /// ‖c‖² per centroid, `blocks × BLOCK`; +∞ in padding lanes, so their
    /// screened value is +∞ and they are never checked.
    norms: Vec<f64>,
    /// The largest ‖c‖, for the error margin.
    max_norm: f64,
    kernel: Kernel,
}

impl CentroidTable {
    /// From `k` centroids of `d` coordinates, stored row after row.
    pub fn new(centroids: &[f64], d: usize) -> Self {
        let k = centroids.len().checked_div(d).unwrap_or(0);
        let blocks = k.div_ceil(BLOCK);
        let mut blocked = vec![0.0; blocks * d * BLOCK];
        let mut norms = vec![f64::INFINITY; blocks * BLOCK];
        for (a, c) in centroids.chunks_exact(d.max(1)).take(k).enumerate() {
            let (block, lane) = (a / BLOCK, a % BLOCK);
            for (t, &v) in c.iter().enumerate() {
                blocked[(block * d + t) * BLOCK + lane] = v;
            }
            norms[a] = c.iter().map(|v| v * v).sum();
        }
        let max_norm = norms[..k].iter().fold(0.0f64, |m, &n| m.max(n)).sqrt();
        CentroidTable {
            k,
            d,
            blocked,
            norms,
            max_norm,
            kernel: Kernel::detect(),
        }
    }

    /// The centroid nearest to `point` (its first `d` coordinates) and its
    /// squared distance `Σ_t (x_t − c_t)²`; ties go to the lower index.
    /// With no centroids, or when every distance overflows, `(0, +∞)`.
    /// `scratch` holds the screened values between calls (reuse it).
    pub fn nearest(&self, point: &[f64], scratch: &mut Vec<f64>) -> (usize, f64) {
        let point = &point[..self.d.min(point.len())];
        if point.is_empty() {
            // Every centroid is at distance 0: the first one wins.
            return if self.k > 0 {
                (0, 0.0)
            } else {
                (0, f64::INFINITY)
            };
        }
        match self.kernel {
            Kernel::Baseline => nearest_in::<false>(self, point, scratch),
            // SAFETY: `Kernel::detect` chose these only when the CPU reports
            // the target features they are compiled for.
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx2Fma => unsafe { nearest_avx2_fma(self, point, scratch) },
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx512 => unsafe { nearest_avx512(self, point, scratch) },
        }
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn nearest_avx2_fma(table: &CentroidTable, point: &[f64], scratch: &mut Vec<f64>) -> (usize, f64) {
    nearest_in::<true>(table, point, scratch)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,fma")]
fn nearest_avx512(table: &CentroidTable, point: &[f64], scratch: &mut Vec<f64>) -> (usize, f64) {
    nearest_in::<true>(table, point, scratch)
}

/// Screens every block, checks the candidates exactly. `FUSED`: the
/// screening step is one fused multiply-add (only where the CPU has one;
/// elsewhere `mul_add` would be a slow library call).
#[inline(always)]
fn nearest_in<const FUSED: bool>(
    table: &CentroidTable,
    point: &[f64],
    scratch: &mut Vec<f64>,
) -> (usize, f64) {
    let d = point.len();
    // Error margin. With R = ‖x‖ + max‖c‖, every quantity summed in either
    // computation is at most R² in magnitude; the screened value
    // ‖c‖² − 2x·c carries at most ~(3d + 1)·u·R² of rounding error (u the
    // unit roundoff; ‖c‖² is itself rounded) and the exact sum ~(d + 1)·u·R²,
    // so the exact winner's screened value exceeds the best screened value
    // by at most ~(8d + 4)·u·R². 16(d + 2)·u·R² leaves room for the
    // second-order terms and for rounding in R itself.
    let point_norm = point.iter().map(|v| v * v).sum::<f64>().sqrt();
    let r = point_norm + table.max_norm;
    let margin = 16.0 * (d as f64 + 2.0) * (f64::EPSILON / 2.0) * r * r;

    // Pass 1: screen every block. Per block only the eight lane-wise
    // minima of its 32 values are kept (vertical, vectorised); the one
    // horizontal reduction happens once per point, not once per block.
    let blocks = table.norms.len() / BLOCK;
    // Every value is written below, so the buffer is only ever grown.
    scratch.resize(blocks * (BLOCK + LANES), 0.0);
    let (screens, minima) = scratch.split_at_mut(blocks * BLOCK);
    let mut overall = [f64::INFINITY; LANES];
    let coordinates = table.blocked.chunks_exact(d * BLOCK);
    let norms = table.norms.chunks_exact(BLOCK);
    for (((out, minima), coordinates), norms) in screens
        .chunks_exact_mut(BLOCK)
        .zip(minima.chunks_exact_mut(LANES))
        .zip(coordinates)
        .zip(norms)
    {
        let screen = screen_block::<FUSED>(point, coordinates, norms);
        let lanes = lane_minima(&screen);
        for (o, &v) in overall.iter_mut().zip(&lanes) {
            if v < *o {
                *o = v;
            }
        }
        minima.copy_from_slice(&lanes);
        out.copy_from_slice(&screen);
    }
    // Pass 2: exact sums for the centroids within the margin of the best
    // screened value (usually one), in index order.
    let threshold = overall.iter().fold(f64::INFINITY, |m, &v| m.min(v)) + margin;
    let mut best = (0, f64::INFINITY);
    for (block, lanes) in minima.chunks_exact(LANES).enumerate() {
        if lanes.iter().all(|&v| v > threshold) {
            continue;
        }
        let coordinates = &table.blocked[block * d * BLOCK..(block + 1) * d * BLOCK];
        let screen = &screens[block * BLOCK..(block + 1) * BLOCK];
        for (lane, &s) in screen.iter().enumerate() {
            if s <= threshold {
                let exact = exact_distance(point, coordinates, lane);
                if exact < best.1 {
                    best = (block * BLOCK + lane, exact);
                }
            }
        }
    }
    best
}

/// Points stored coordinate-major (`d × n`) for k-means++ seeding, which
/// needs the distance of every point to one new centre at a time: summed
/// across points side by side, each point's sum still in coordinate order,
/// so the values equal the plain sequential sums bit for bit.
pub struct PointTable {
    n: usize,
    by_coordinate: Vec<f64>,
    kernel: Kernel,
}

/// Points per chunk of running sums (4 KiB on the stack, in L1).
const POINT_CHUNK: usize = 512;

impl PointTable {
    /// From `n` points of `d` coordinates, stored row after row.
    pub fn new(points: &[f64], d: usize) -> Self {
        let n = points.len().checked_div(d).unwrap_or(0);
        let mut by_coordinate = vec![0.0; n * d];
        for (i, p) in points.chunks_exact(d.max(1)).take(n).enumerate() {
            for (t, &v) in p.iter().enumerate() {
                by_coordinate[t * n + i] = v;
            }
        }
        PointTable {
            n,
            by_coordinate,
            kernel: Kernel::detect(),
        }
    }

    /// `nearest[i] = min(nearest[i], Σ_t (x_it − centre_t)²)` for every point.
    pub fn lower_to(&self, centre: &[f64], nearest: &mut [f64]) {
        match self.kernel {
            Kernel::Baseline => lower_to_in(self, centre, nearest),
            // SAFETY: as in `CentroidTable::nearest`.
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx2Fma => unsafe { lower_to_avx2(self, centre, nearest) },
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx512 => unsafe { lower_to_avx512(self, centre, nearest) },
        }
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn lower_to_avx2(table: &PointTable, centre: &[f64], nearest: &mut [f64]) {
    lower_to_in(table, centre, nearest)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn lower_to_avx512(table: &PointTable, centre: &[f64], nearest: &mut [f64]) {
    lower_to_in(table, centre, nearest)
}

#[inline(always)]
fn lower_to_in(table: &PointTable, centre: &[f64], nearest: &mut [f64]) {
    let n = table.n.min(nearest.len());
    for start in (0..n).step_by(POINT_CHUNK) {
        let len = POINT_CHUNK.min(n - start);
        let mut sums = [0.0f64; POINT_CHUNK];
        for (t, &c) in centre.iter().enumerate() {
            let column = &table.by_coordinate[t * table.n + start..t * table.n + start + len];
            for (sum, &x) in sums.iter_mut().zip(column) {
                let diff = x - c;
                *sum += diff * diff;
            }
        }
        for (near, &sum) in nearest[start..start + len].iter_mut().zip(&sums) {
            if sum < *near {
                *near = sum;
            }
        }
    }
}

/// `‖c‖² − 2 x·c` for the centroids of one block.
#[inline(always)]
fn screen_block<const FUSED: bool>(
    point: &[f64],
    coordinates: &[f64],
    norms: &[f64],
) -> [f64; BLOCK] {
    let mut screen = [0.0f64; BLOCK];
    for (&x, column) in point.iter().zip(coordinates.chunks_exact(BLOCK)) {
        let m = -2.0 * x;
        for (s, &c) in screen.iter_mut().zip(column) {
            *s = if FUSED { m.mul_add(c, *s) } else { *s + m * c };
        }
    }
    for (s, &n) in screen.iter_mut().zip(norms) {
        *s += n;
    }
    screen
}

/// `Σ_t (x_t − c_t)²` in order, for the centroid in `lane` of a block.
#[inline(always)]
fn exact_distance(point: &[f64], coordinates: &[f64], lane: usize) -> f64 {
    point
        .iter()
        .zip(coordinates.chunks_exact(BLOCK))
        .map(|(&x, column)| {
            let diff = x - column[lane];
            diff * diff
        })
        .fold(0.0, |sum, v| sum + v)
}

/// Lane-wise minima of a block: value `l` is the least of lanes `l`,
/// `l + 8`, `l + 16`, `l + 24` (one vector register's worth).
#[inline(always)]
fn lane_minima(values: &[f64; BLOCK]) -> [f64; LANES] {
    let mut lanes = [f64::INFINITY; LANES];
    for chunk in values.chunks_exact(LANES) {
        for (m, &v) in lanes.iter_mut().zip(chunk) {
            if v < *m {
                *m = v;
            }
        }
    }
    lanes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::gaussian_matrix;

    fn plain(point: &[f64], centroids: &[f64], d: usize) -> (usize, f64) {
        centroids
            .chunks_exact(d)
            .map(|c| {
                point
                    .iter()
                    .zip(c)
                    .map(|(x, y)| (x - y) * (x - y))
                    .sum::<f64>()
            })
            .enumerate()
            .fold(
                (0, f64::INFINITY),
                |b, (a, dist)| if dist < b.1 { (a, dist) } else { b },
            )
    }

    fn kernels() -> Vec<Kernel> {
        let mut kernels = vec![Kernel::Baseline];
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx2")
                && std::arch::is_x86_feature_detected!("fma")
            {
                kernels.push(Kernel::Avx2Fma);
            }
            if std::arch::is_x86_feature_detected!("avx512f") {
                kernels.push(Kernel::Avx512);
            }
        }
        kernels
    }

    fn check(centroids: &[f64], points: &[Vec<f64>], d: usize) {
        let mut table = CentroidTable::new(centroids, d);
        for kernel in kernels() {
            table.kernel = kernel;
            for p in points {
                let got = table.nearest(p, &mut Vec::new());
                let want = plain(p, centroids, d);
                assert_eq!(got.0, want.0, "{kernel:?}, k = {}", centroids.len() / d);
                assert_eq!(got.1.to_bits(), want.1.to_bits(), "{kernel:?}");
            }
        }
    }

    #[test]
    fn every_kernel_gives_the_plain_sums_bit_for_bit() {
        let g = gaussian_matrix(50, 7, 11);
        let points: Vec<Vec<f64>> = (0..50)
            .map(|i| (0..7).map(|j| g[(i, j)]).collect())
            .collect();
        // 1 centroid, 13 (a partial block) and 70 (two full blocks + a part).
        for k in [1, 13, 70] {
            let centroids: Vec<f64> = (0..k * 7)
                .map(|i| ((i * 37) % 19) as f64 / 5.0 - 2.0)
                .collect();
            check(&centroids, &points, 7);
        }
    }

    #[test]
    fn near_ties_are_settled_by_the_exact_sums() {
        // Centroids a few ulps apart and far from the origin: the screened
        // values cannot separate them, the exact sums must.
        let base = [1.0e3, -2.5e3, 7.0e2, 3.0];
        let mut centroids = Vec::new();
        for step in 0..40 {
            centroids.extend(base.iter().map(|&v| {
                let mut v: f64 = v;
                for _ in 0..(step * 7) % 5 {
                    v = f64::from_bits(v.to_bits() + 1);
                }
                v
            }));
        }
        let points: Vec<Vec<f64>> = (0..20)
            .map(|i| base.iter().map(|&v| v + (i as f64 - 10.0) * 1e-9).collect())
            .collect();
        check(&centroids, &points, 4);
        // Large-scale offsets: the margin grows with the norms.
        let g = gaussian_matrix(64, 8, 3);
        let centroids: Vec<f64> = (0..64 * 8).map(|i| 1e6 + g[(i / 8, i % 8)]).collect();
        let points: Vec<Vec<f64>> = (0..30)
            .map(|i| (0..8).map(|j| 1e6 + g[((i * 5) % 64, j)] * 0.5).collect())
            .collect();
        check(&centroids, &points, 8);
    }

    #[test]
    fn point_tables_lower_to_the_plain_sums_bit_for_bit() {
        let (n, d) = (1100, 5);
        let g = gaussian_matrix(n, d, 4);
        let points: Vec<f64> = (0..n * d).map(|i| g[(i / d, i % d)]).collect();
        let mut table = PointTable::new(&points, d);
        let centre = [0.3, -1.0, 2.0, 0.0, 0.5];
        let start: Vec<f64> = (0..n).map(|i| (i % 7) as f64).collect();
        let want: Vec<f64> = points
            .chunks_exact(d)
            .zip(&start)
            .map(|(p, &s)| s.min(p.iter().zip(&centre).map(|(x, c)| (x - c) * (x - c)).sum()))
            .collect();
        for kernel in kernels() {
            table.kernel = kernel;
            let mut nearest = start.clone();
            table.lower_to(&centre, &mut nearest);
            let same = nearest
                .iter()
                .zip(&want)
                .all(|(a, b)| a.to_bits() == b.to_bits());
            assert!(same, "{kernel:?}");
        }
    }

    #[test]
    fn ties_go_to_the_lower_centroid_and_empty_tables_give_infinity() {
        let twins = CentroidTable::new(&[1.0, -1.0, 1.0], 1);
        assert_eq!(twins.nearest(&[0.0], &mut Vec::new()), (0, 1.0));
        // A tie across blocks: centroid 40 equals centroid 3.
        let mut far = vec![100.0; 41];
        far[3] = 2.0;
        far[40] = 2.0;
        assert_eq!(
            CentroidTable::new(&far, 1).nearest(&[0.0], &mut Vec::new()),
            (3, 4.0)
        );
        assert_eq!(
            CentroidTable::new(&[], 2).nearest(&[0.0, 1.0], &mut Vec::new()),
            (0, f64::INFINITY)
        );
    }
}
