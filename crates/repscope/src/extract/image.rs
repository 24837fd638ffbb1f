//! Image stimuli: decoded, resized, centre-cropped and normalised as
//! torchvision's `Resize` + `CenterCrop` + `ToTensor` + `Normalize` do on a
//! PIL image, with no Python.
//!
//! The resize is Pillow's bilinear resampling, reproduced step by step so
//! that the 8-bit pixels are the same: a triangle filter whose support is
//! widened by the downscaling factor (antialiasing), each output pixel's
//! window and weights computed as Pillow computes them, the weights
//! normalised and rounded to 22-bit fixed point, the horizontal pass first,
//! its result rounded to 8 bits, then the vertical pass. The short side
//! goes to `resize` and the long one to `int(resize · long / short)`, as
//! torchvision sizes it; the crop's offset is `round((size − crop) / 2)`
//! with Python's rounding (halves to even), and a crop larger than the image
//! pads with zeros. Pixels become `(v / 255 − mean) / std` in float32, in
//! that order, as torchvision computes them.
//!
//! PNG decoding is exact, so PNG stimuli match torchvision's pixels
//! exactly. JPEG decoders differ from libjpeg (Pillow's) in their inverse
//! DCT and chroma upsampling by a few levels on some pixels.

use std::path::Path;

use crate::error::{Error, Result};

/// ImageNet's channel means and standard deviations (torchvision's
/// defaults for its pretrained weights).
pub const IMAGENET_MEAN: [f32; 3] = [0.485, 0.456, 0.406];
pub const IMAGENET_STD: [f32; 3] = [0.229, 0.224, 0.225];

/// How images become a model's input tensor.
#[derive(Clone, Debug, PartialEq)]
pub struct ImagePrep {
    /// The short side after resizing; `None` keeps the decoded size.
    pub resize: Option<usize>,
    /// The centre crop (height, width); `None` keeps the whole image.
    pub crop: Option<(usize, usize)>,
    pub mean: [f32; 3],
    pub std: [f32; 3],
    /// Blue, green, red channel order (OpenCV-trained models); `mean` and
    /// `std` stay in R, G, B order and follow their channels.
    pub bgr: bool,
}

impl ImagePrep {
    /// torchvision's ImageNet evaluation transform: resize 256, crop 224,
    /// ImageNet mean and std, RGB.
    pub fn imagenet() -> Self {
        Self {
            resize: Some(256),
            crop: Some((224, 224)),
            mean: IMAGENET_MEAN,
            std: IMAGENET_STD,
            bgr: false,
        }
    }

    /// A preset (`imagenet`, or `none`: pixels / 255 at their own size)
    /// with any of its values replaced.
    pub fn from_preset(
        preset: &str,
        resize: Option<usize>,
        crop: Option<(usize, usize)>,
        mean: Option<[f32; 3]>,
        std: Option<[f32; 3]>,
        bgr: bool,
    ) -> Result<Self> {
        let base = match preset {
            "imagenet" => Self::imagenet(),
            "none" => Self {
                resize: None,
                crop: None,
                mean: [0.0; 3],
                std: [1.0; 3],
                bgr: false,
            },
            other => {
                return Err(Error::UnknownChoice {
                    what: "image preset",
                    given: other.into(),
                    known: vec!["imagenet", "none"],
                });
            }
        };
        let prep = Self {
            resize: resize.or(base.resize),
            crop: crop.or(base.crop),
            mean: mean.unwrap_or(base.mean),
            std: std.unwrap_or(base.std),
            bgr,
        };
        prep.validate()?;
        Ok(prep)
    }

    /// Checks the settings before any image is read.
    pub fn validate(&self) -> Result<()> {
        if self.resize == Some(0) || self.crop.is_some_and(|(h, w)| h == 0 || w == 0) {
            return Err(Error::OutOfRange {
                what: "image resize or crop".into(),
                value: "0".into(),
                expected: "at least 1 pixel".into(),
            });
        }
        if self.std.iter().any(|s| !(s.is_finite() && *s > 0.0))
            || self.mean.iter().any(|m| !m.is_finite())
        {
            return Err(Error::Invalid {
                what: "image normalisation".into(),
                detail: format!(
                    "mean {:?} and std {:?}: every std must be positive and every value finite",
                    self.mean, self.std
                ),
            });
        }
        Ok(())
    }
}

/// A crop written `N` (square) or `HxW`.
pub fn parse_crop(text: &str) -> Result<(usize, usize)> {
    let bad = || Error::Invalid {
        what: format!("crop '{text}'"),
        detail: "write N (a square) or HxW, in pixels".into(),
    };
    let parse = |t: &str| t.trim().parse::<usize>().map_err(|_| bad());
    match text.split_once(['x', 'X']) {
        Some((h, w)) => Ok((parse(h)?, parse(w)?)),
        None => parse(text).map(|n| (n, n)),
    }
}

/// An 8-bit RGB image, row-major, 3 values a pixel.
#[derive(Clone, Debug, PartialEq)]
pub struct Rgb8 {
    pub width: usize,
    pub height: usize,
    pub pixels: Vec<u8>,
}

/// Decodes a PNG or JPEG file to RGB (grey replicated, alpha dropped, as
/// PIL's `convert("RGB")`).
pub fn decode(path: &Path) -> Result<Rgb8> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let image = image::load_from_memory(&bytes).map_err(|e| {
        Error::format(
            path,
            format!("is not a readable PNG or JPEG image ({e})"),
            "re-save it as PNG or JPEG, or remove it from the list",
        )
    })?;
    let rgb = image.to_rgb8();
    Ok(Rgb8 {
        width: rgb.width() as usize,
        height: rgb.height() as usize,
        pixels: rgb.into_raw(),
    })
}

/// The size torchvision's `Resize(size)` gives an image of `(w, h)`.
pub fn resized_size(width: usize, height: usize, size: usize) -> (usize, usize) {
    let (short, long) = if width <= height {
        (width, height)
    } else {
        (height, width)
    };
    let new_long = (size as f64 * long as f64 / short as f64) as usize;
    if width <= height {
        (size, new_long)
    } else {
        (new_long, size)
    }
}

const PRECISION_BITS: u32 = 32 - 8 - 2;

/// Pillow's bilinear weights for resampling `in_size` pixels to
/// `out_size`: per output pixel, its first input pixel and fixed-point
/// weights.
fn coefficients(in_size: usize, out_size: usize) -> Vec<(usize, Vec<i32>)> {
    let scale = in_size as f64 / out_size as f64;
    let filter_scale = scale.max(1.0);
    let support = filter_scale; // the triangle filter's support is 1
    let triangle = |x: f64| {
        let x = x.abs();
        if x < 1.0 { 1.0 - x } else { 0.0 }
    };
    (0..out_size)
        .map(|xx| {
            let center = (xx as f64 + 0.5) * scale;
            // C's truncating casts, as Pillow computes the window.
            let xmin = ((center - support + 0.5) as i64).max(0) as usize;
            let xmax = ((center + support + 0.5) as i64).min(in_size as i64) as usize;
            let mut w: Vec<f64> = (xmin..xmax)
                .map(|x| triangle((x as f64 - center + 0.5) / filter_scale))
                .collect();
            let total: f64 = w.iter().sum();
            if total != 0.0 {
                for v in &mut w {
                    *v /= total;
                }
            }
            let one = f64::from(1u32 << PRECISION_BITS);
            let fixed = w
                .iter()
                .map(|&k| {
                    if k < 0.0 {
                        (-0.5 + k * one) as i32
                    } else {
                        (0.5 + k * one) as i32
                    }
                })
                .collect();
            (xmin, fixed)
        })
        .collect()
}

fn clip8(v: i64) -> u8 {
    (v >> PRECISION_BITS).clamp(0, 255) as u8
}

/// Pillow's bilinear resize of an RGB image to `(width, height)`.
pub fn resize(img: &Rgb8, width: usize, height: usize) -> Rgb8 {
    let mut current = img.clone();
    if width != current.width {
        let coeffs = coefficients(current.width, width);
        let mut out = vec![0u8; width * current.height * 3];
        for y in 0..current.height {
            let row = &current.pixels[y * current.width * 3..(y + 1) * current.width * 3];
            for (x, (start, k)) in coeffs.iter().enumerate() {
                for c in 0..3 {
                    let mut acc: i64 = 1 << (PRECISION_BITS - 1);
                    for (i, &w) in k.iter().enumerate() {
                        acc += i64::from(row[(start + i) * 3 + c]) * i64::from(w);
                    }
                    out[(y * width + x) * 3 + c] = clip8(acc);
                }
            }
        }
        current = Rgb8 {
            width,
            height: current.height,
            pixels: out,
        };
    }
    if height != current.height {
        let coeffs = coefficients(current.height, height);
        let w = current.width;
        let mut out = vec![0u8; w * height * 3];
        for (y, (start, k)) in coeffs.iter().enumerate() {
            for x in 0..w * 3 {
                let mut acc: i64 = 1 << (PRECISION_BITS - 1);
                for (i, &wt) in k.iter().enumerate() {
                    acc += i64::from(current.pixels[(start + i) * w * 3 + x]) * i64::from(wt);
                }
                out[y * w * 3 + x] = clip8(acc);
            }
        }
        current = Rgb8 {
            width: w,
            height,
            pixels: out,
        };
    }
    current
}

/// Python's `round` of a half-integer or integer (halves to even).
fn round_half_even(twice: i64) -> i64 {
    // `twice` is 2·x; x = twice / 2.
    if twice % 2 == 0 {
        twice / 2
    } else {
        let down = twice.div_euclid(2);
        if down % 2 == 0 { down } else { down + 1 }
    }
}

/// The image as a channels-first float32 tensor (3 × H × W) after the
/// transforms of `prep`.
pub fn preprocess(img: &Rgb8, prep: &ImagePrep) -> Vec<f32> {
    let img = match prep.resize {
        Some(size) => {
            let (w, h) = resized_size(img.width, img.height, size);
            resize(img, w, h)
        }
        None => img.clone(),
    };
    let (ch, cw) = prep.crop.unwrap_or((img.height, img.width));
    let top = round_half_even(img.height as i64 - ch as i64);
    let left = round_half_even(img.width as i64 - cw as i64);
    let mut out = vec![0f32; 3 * ch * cw];
    for c in 0..3 {
        let source = if prep.bgr { 2 - c } else { c };
        for y in 0..ch {
            for x in 0..cw {
                let (sy, sx) = (y as i64 + top, x as i64 + left);
                let v = if (0..img.height as i64).contains(&sy)
                    && (0..img.width as i64).contains(&sx)
                {
                    let i = (sy as usize * img.width + sx as usize) * 3 + source;
                    f32::from(img.pixels[i]) / 255.0
                } else {
                    // torchvision pads a too-large crop with zeros before ToTensor.
                    0.0
                };
                out[(c * ch + y) * cw + x] = (v - prep.mean[source]) / prep.std[source];
            }
        }
    }
    out
}

/// Image files as one channels-first float32 batch (n × 3 × H × W, values
/// and `(H, W)`); images that come out at different sizes (no crop) are
/// an error naming the first that differs.
pub fn preprocess_files(
    paths: &[std::path::PathBuf],
    prep: &ImagePrep,
) -> Result<(Vec<f32>, (usize, usize))> {
    let mut values = Vec::new();
    let mut size = None;
    for p in paths {
        let img = decode(p)?;
        let (w, h) = match prep.resize {
            Some(s) => resized_size(img.width, img.height, s),
            None => (img.width, img.height),
        };
        let hw = prep.crop.unwrap_or((h, w));
        if *size.get_or_insert(hw) != hw {
            return Err(Error::Invalid {
                what: "image sizes".into(),
                detail: format!(
                    "{} differs in size from the images before it; give a crop",
                    p.display()
                ),
            });
        }
        values.extend(preprocess(&img, prep));
    }
    Ok((values, size.unwrap_or((0, 0))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn torchvision_sizes_and_offsets() {
        assert_eq!(resized_size(500, 375, 256), (341, 256));
        assert_eq!(resized_size(375, 500, 256), (256, 341));
        assert_eq!(round_half_even(1), 0);
        assert_eq!(round_half_even(3), 2);
        assert_eq!(round_half_even(5), 2);
        assert_eq!(round_half_even(32), 16);
        assert_eq!(round_half_even(-1), 0);
    }

    #[test]
    fn resize_keeps_a_flat_image_flat_and_weights_sum_to_one() {
        let img = Rgb8 {
            width: 7,
            height: 5,
            pixels: vec![200; 7 * 5 * 3],
        };
        let small = resize(&img, 3, 2);
        assert!(small.pixels.iter().all(|&v| v == 200));
        let big = resize(&img, 20, 11);
        assert!(big.pixels.iter().all(|&v| v == 200));
        for (_, k) in coefficients(700, 256) {
            let s: i64 = k.iter().map(|&v| i64::from(v)).sum();
            assert!((s - (1 << PRECISION_BITS)).abs() < k.len() as i64);
        }
    }
}
