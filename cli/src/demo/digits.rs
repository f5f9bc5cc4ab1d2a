//! The demo's digits part: the built-in 8 × 8 digits CNN on the first held-out image, its
//! predicted class explained by Integrated Gradients (zero baseline), Occlusion (2 × 2
//! windows of zeros) and Grad-CAM (on the second convolution, ReLU, upsampled to 8 × 8),
//! printed side by side as text heat maps with each map's analytics and, on request,
//! written as PNG images.

use std::fs::File;
use std::io::BufWriter;
use std::path::Path;

use lumen::backend::Baselines;
use lumen::explain::gradient::{grad_cam, integrated_gradients, GradCamParams, IntegratedGradientsParams};
use lumen::explanation::{consistency, AttributionSummary};

use crate::error::{create_dir, CliError, CliResult};
use crate::plot::colour;
use lumen::{occlusion, Engine, Explanation, Model, OcclusionParams};
use lumen_models::digits::{
    most_probable, render_heatmap, Digits, DigitsCnn, HeatmapStyle, WeightsFile, CLASSES, IMAGE_SIDE, TEST_ROWS,
};
use plotters::style::RGBColor;

/// The image explained: the first of the held-out test images.
pub const IMAGE_ROW: usize = TEST_ROWS.start;

/// How many image pixels one map cell becomes on each side in the PNG files.
pub const PNG_SCALE: usize = 16;

/// Side of the PNG files, in pixels (8 cells × [`PNG_SCALE`]).
pub const PNG_SIDE: usize = IMAGE_SIDE * PNG_SCALE;

/// Occlusion's window over the input shape [1, 8, 8]: 2 × 2 pixels.
const OCCLUSION_WINDOW: [usize; 3] = [1, 2, 2];

/// Width of one column of the side-by-side maps (a framed map is 2 × 8 + 2 characters).
const COLUMN: usize = 2 * IMAGE_SIDE + 6;

/// The explained image, the model's prediction and the three explanations of the
/// predicted class.
pub struct DigitsDemo {
    /// The image's row in the digits data set.
    pub row: usize,
    /// The digit the image shows.
    pub label: u32,
    /// Its pixels, row by row, each in [0, 1].
    pub image: Vec<f32>,
    /// The most probable class, the one explained.
    pub class: u32,
    /// Its probability.
    pub probability: f32,
    /// Integrated Gradients from the all-black (zero) image.
    pub integrated_gradients: Explanation,
    /// Occlusion by 2 × 2 windows of zeros, stride 1.
    pub occlusion: Explanation,
    /// Grad-CAM on the 16 × 8 × 8 layer, through a ReLU, upsampled to 8 × 8.
    pub grad_cam: Explanation,
}

impl DigitsDemo {
    /// The explained class's map of an explanation (its only row and output).
    fn map(explanation: &Explanation) -> Vec<f32> {
        explanation.row_attributions(0, 0).iter().map(|&v| v as f32).collect()
    }
}

/// Predicts the class of test image [`IMAGE_ROW`] and explains it three ways.
pub fn explain(engine: &Engine) -> CliResult<DigitsDemo> {
    let data = Digits::shared();
    let model = DigitsCnn::shared();
    let image = data.image(IMAGE_ROW);
    let mut probabilities = [0.0f32; CLASSES];
    model.predict(image, 1, &mut probabilities)?;
    let class = most_probable(&probabilities);
    let targets = Some(vec![class as u32]);

    let ig_params = IntegratedGradientsParams { targets: targets.clone(), ..Default::default() };
    let integrated_gradients = integrated_gradients(engine, model, image, 1, &ig_params)
        .map_err(|e| CliError::new(crate::error::Category::Explanation, format!("Integrated Gradients: {e}")))?;
    let occlusion_params = OcclusionParams {
        strides: Some(vec![1, 1, 1]),
        baseline: Baselines::Scalar(0.0),
        targets: targets.clone(),
        ..OcclusionParams::new(OCCLUSION_WINDOW.to_vec())
    };
    let occlusion = occlusion(engine, model, image, 1, &occlusion_params)
        .map_err(|e| CliError::new(crate::error::Category::Explanation, format!("Occlusion: {e}")))?;
    let cam_params = GradCamParams { targets, relu_attributions: true, upsample: true, ..Default::default() };
    let grad_cam = grad_cam(engine, model, image, 1, &cam_params)
        .map_err(|e| CliError::new(crate::error::Category::Explanation, format!("Grad-CAM: {e}")))?;

    Ok(DigitsDemo {
        row: IMAGE_ROW,
        label: data.labels()[IMAGE_ROW],
        image: image.to_vec(),
        class: class as u32,
        probability: probabilities[class],
        integrated_gradients,
        occlusion,
        grad_cam,
    })
}

/// One line of a map's analytics.
fn describe(map: &[f32]) -> CliResult<String> {
    let summary = AttributionSummary::of(&widen(map))?;
    Ok(format!(
        "concentration (Gini) {:.3}, magnitude (mean |a|) {:.4}, sparsity {:.3}",
        summary.concentration, summary.magnitude, summary.sparsity
    ))
}

/// Prints the digits section: the image and its prediction, the four maps side by side,
/// each explanation's analytics, the IG convergence delta and the maps' agreement.
pub fn print(demo: &DigitsDemo) -> CliResult {
    let accuracy = WeightsFile::embedded().map_err(|e| CliError::model(e.to_string()))?.accuracy;
    let ig = &DigitsDemo::map(&demo.integrated_gradients);
    let occ = &DigitsDemo::map(&demo.occlusion);
    let cam = &DigitsDemo::map(&demo.grad_cam);

    println!("\nDigits: scikit-learn's 8×8 handwritten digits (1797 images, pixels 0–16 scaled to [0, 1])");
    println!(
        "Model: CNN 1×8×8 → conv 8 → conv 16 (the Grad-CAM layer) → max-pool → dense 10, trained on images 0..{} in Rust; held-out ({} images): accuracy {:.3}",
        TEST_ROWS.start,
        accuracy.test_images,
        accuracy.test()
    );
    println!(
        "Test image #{} (the first held-out image), a {}: predicted class {} with probability {:.3}; explaining class {}",
        demo.row, demo.label, demo.class, demo.probability, demo.class
    );
    let columns = [
        ("digit", render_heatmap(&demo.image, IMAGE_SIDE, HeatmapStyle::Magnitude)),
        ("Integrated Gradients", render_heatmap(ig, IMAGE_SIDE, HeatmapStyle::Signed)),
        ("Occlusion 2×2", render_heatmap(occ, IMAGE_SIDE, HeatmapStyle::Signed)),
        ("Grad-CAM", render_heatmap(cam, IMAGE_SIDE, HeatmapStyle::Magnitude)),
    ];
    let frame = format!("+{}+", "-".repeat(2 * IMAGE_SIDE));
    let line = |cells: &mut dyn Iterator<Item = String>| {
        println!("  {}", cells.map(|cell| format!("{cell:<COLUMN$}")).collect::<String>().trim_end());
    };
    line(&mut columns.iter().map(|(title, _)| title.to_string()));
    line(&mut columns.iter().map(|_| frame.clone()));
    let rows: Vec<Vec<&str>> = columns.iter().map(|(_, text)| text.lines().collect()).collect();
    for y in 0..IMAGE_SIDE {
        line(&mut rows.iter().map(|lines| format!("|{}|", lines[y])));
    }
    line(&mut columns.iter().map(|_| frame.clone()));
    println!(
        "  Each map is scaled to its largest |value| (ramp \" .:-=+*#%@\"); + raised, - lowered P(class {}).",
        demo.class
    );

    let ig_explanation = &demo.integrated_gradients;
    let delta = ig_explanation.diagnostics[0].completeness_gap.as_ref().map_or(f64::NAN, |gap| gap[0]);
    println!("  Integrated Gradients (zero baseline, 50 Gauss–Legendre steps): {}", describe(ig)?);
    println!(
        "    convergence delta Σ attributions − (f(x) − f(baseline)): {delta:+.2e} (f(x) {:.4}, f(baseline) {:.4})",
        ig_explanation.predictions[0], ig_explanation.base_values[0]
    );
    println!("  Occlusion (2×2 windows of zeros, stride 1): {}", describe(occ)?);
    println!("  Grad-CAM (16×8×8 layer, ReLU, bilinear upsampling to 8×8): {}", describe(cam)?);
    let agreement = |other: &[f32]| consistency(&widen(ig), &widen(other));
    println!(
        "  Consistency (|correlation| over the 64 pixels): IG vs Occlusion {:.3}, IG vs Grad-CAM {:.3}",
        agreement(occ)?,
        agreement(cam)?
    );
    println!(
        "Model rows evaluated: {} (Integrated Gradients), {} (Occlusion), {} (Grad-CAM).",
        ig_explanation.audit.model_rows_evaluated,
        demo.occlusion.audit.model_rows_evaluated,
        demo.grad_cam.audit.model_rows_evaluated
    );
    Ok(())
}

/// An RGB colour.
type Rgb = [u8; 3];

/// A plot colour as RGB bytes.
fn rgb(colour: RGBColor) -> Rgb {
    [colour.0, colour.1, colour.2]
}

fn diverging(t: f32) -> Rgb {
    rgb(colour::diverging(f64::from(t)))
}

fn sequential(t: f32) -> Rgb {
    rgb(colour::sequential(f64::from(t)))
}

fn ink(t: f32) -> Rgb {
    rgb(colour::ink(f64::from(t)))
}

/// The largest finite |value| of a map, or 1 for a map of zeros (so that it stays white).
fn largest(map: &[f32]) -> f32 {
    let largest = map.iter().filter(|v| v.is_finite()).fold(0.0f32, |m, v| m.max(v.abs()));
    if largest > 0.0 {
        largest
    } else {
        1.0
    }
}

/// Writes an 8 × 8 map as a [`PNG_SIDE`]-pixel square RGB PNG, each cell a
/// [`PNG_SCALE`]-pixel square of `colour(value)`.
fn write_png(path: &Path, map: &[f32], colour: impl Fn(f32) -> Rgb) -> CliResult {
    let mut pixels = Vec::with_capacity(PNG_SIDE * PNG_SIDE * 3);
    for y in 0..PNG_SIDE {
        for x in 0..PNG_SIDE {
            pixels.extend(colour(map[(y / PNG_SCALE) * IMAGE_SIDE + x / PNG_SCALE]));
        }
    }
    let context = |e: &dyn std::fmt::Display| CliError::output(format!("--images: {}: {e}", path.display()));
    let file = File::create(path).map_err(|e| context(&e))?;
    let mut encoder = png::Encoder::new(BufWriter::new(file), PNG_SIDE as u32, PNG_SIDE as u32);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().map_err(|e| context(&e))?;
    writer.write_image_data(&pixels).map_err(|e| context(&e))?;
    writer.finish().map_err(|e| context(&e))
}

/// Creates `dir` and writes the digit and the three maps into it as PNG images
/// (digit.png, integrated_gradients.png, occlusion.png, grad_cam.png), printing each
/// path with its colour scale.
pub fn write_images(demo: &DigitsDemo, dir: &Path) -> CliResult {
    create_dir(dir)?;
    let ig = &DigitsDemo::map(&demo.integrated_gradients);
    let occ = &DigitsDemo::map(&demo.occlusion);
    let cam = &DigitsDemo::map(&demo.grad_cam);
    let signed = |map: &[f32]| {
        let scale = largest(map);
        (move |v: f32| diverging(v / scale), format!("blue −{scale:.4} · white 0 · red +{scale:.4}"))
    };
    let (ig_colour, ig_legend) = signed(ig);
    let (occ_colour, occ_legend) = signed(occ);
    let cam_scale = largest(cam);
    println!("Images ({PNG_SIDE}×{PNG_SIDE} pixels, each map cell {PNG_SCALE}×{PNG_SCALE}):");
    let write = |name: &str, map: &[f32], colour: &dyn Fn(f32) -> Rgb, legend: String| {
        let path = dir.join(name);
        write_png(&path, map, colour)?;
        println!("  {}  ({legend})", path.display());
        Ok::<(), CliError>(())
    };
    write("digit.png", &demo.image, &ink, "white 0 · black 16/16".to_owned())?;
    write("integrated_gradients.png", ig, &ig_colour, ig_legend)?;
    write("occlusion.png", occ, &occ_colour, occ_legend)?;
    write(
        "grad_cam.png",
        cam,
        &|v| sequential(v / cam_scale),
        format!("white 0 · yellow · red · dark red {cam_scale:.4}"),
    )
}

/// The digits section of the demo.
pub struct DigitsSection;

impl super::DemoSection for DigitsSection {
    fn name(&self) -> &'static str {
        "digits"
    }

    fn introduction(&self) -> String {
        "Digits (scikit-learn's 8×8 handwritten digits): the built-in CNN's predicted class of a held-out image, \
         explained by Integrated Gradients, Occlusion and Grad-CAM over the image."
            .to_owned()
    }

    fn run(&self, context: &super::DemoContext<'_>) -> CliResult<Vec<super::DemoRecord>> {
        let demo = explain(context.engine)?;
        print(&demo)?;
        if let Some(dir) = &context.args.images {
            write_images(&demo, dir)?;
        }
        let model = crate::model::builtin::load("digits-cnn")?;
        let source = format!("digits test image #{} (a {})", demo.row, demo.label);
        let labels = vec![format!("image #{} (a {})", demo.row, demo.label)];
        let io = |e: lumen::Error| CliError::output(e.to_string());
        [
            ("digits-integrated-gradients", &demo.integrated_gradients),
            ("digits-occlusion", &demo.occlusion),
            ("digits-grad-cam", &demo.grad_cam),
        ]
        .into_iter()
        .map(|(name, explanation)| {
            let context = crate::explain::context(&model, explanation, &demo.image, &source, labels.clone());
            Ok(super::DemoRecord {
                name: name.to_owned(),
                json: crate::report::record::with_context(&explanation.to_json().map_err(io)?, &context)?,
            })
        })
        .collect()
    }
}

/// A map's values as f64, for the analytics.
fn widen(map: &[f32]) -> Vec<f64> {
    map.iter().map(|&v| f64::from(v)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn largest_ignores_non_finite_values_and_keeps_zero_maps_white() {
        assert_eq!(largest(&[0.0; 4]), 1.0);
        assert_eq!(largest(&[0.5, -2.0, f32::NAN]), 2.0);
        assert_eq!(ink(0.0), [255, 255, 255]);
    }
}
