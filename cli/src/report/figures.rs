//! The plots of each record: waterfalls or image heat maps per row, global bars and a
//! beeswarm over rows, counterfactual tables and the co-occurrence graph.

use super::record::{CounterfactualsRecord, DatasetAuditRecord, ExplanationRecord};
use crate::plot::bars::Bars;
use crate::plot::beeswarm::Beeswarm;
use crate::plot::counterfactual_table::CounterfactualTable;
use crate::plot::graph::CoOccurrenceGraph;
use crate::plot::heatmap::Heatmap;
use crate::plot::waterfall::Waterfall;
use crate::plot::{number, render, Figure, PlotResult};

/// Features shown in waterfalls, bars and beeswarms; the rest are summed.
pub const TOP_FEATURES: usize = 10;

/// A display name for a method's snake_case name.
pub fn method_title(method: &str) -> String {
    match method {
        "occlusion" => "Occlusion",
        "feature_ablation" => "Feature Ablation",
        "kernel_shap" => "KernelSHAP",
        "shapley_value_sampling" => "Shapley Value Sampling",
        "integrated_gradients" => "Integrated Gradients",
        "saliency" => "Saliency",
        "gradient_shap" => "GradientSHAP",
        "noise_tunnel" => "NoiseTunnel",
        "grad_cam" => "Grad-CAM",
        "permute_attack" => "PermuteAttack counterfactuals",
        "time_shap" => "TimeSHAP",
        other => other,
    }
    .to_owned()
}

/// Whether a method's values add up to f(x) − base (exactly, or up to a reported gap), so
/// that a waterfall from the base to f(x) is meaningful.
pub fn additive(method: &str) -> bool {
    matches!(
        method,
        "kernel_shap" | "shapley_value_sampling" | "feature_ablation" | "integrated_gradients" | "gradient_shap"
    )
}

/// `(height, width, channels)` when the explanation is a map over an image.
fn image_shape(record: &ExplanationRecord) -> Option<(usize, usize, usize)> {
    let input_len: usize = record.input_shape.iter().product();
    match record.input_shape.as_slice() {
        [.., h, w] if *h > 1 && *w > 1 && record.feature_axis == "elements" && record.features == input_len => {
            Some((*h, *w, input_len / (h * w)))
        }
        _ => None,
    }
}

/// The label of explained row `row`.
pub fn row_label(record: &ExplanationRecord, row: usize) -> String {
    record.context.as_ref().and_then(|c| c.row_labels.get(row).cloned()).unwrap_or_else(|| format!("row {}", row + 1))
}

/// What row `row`'s explained output `k` is.
pub fn output_label(record: &ExplanationRecord, row: usize, k: usize) -> String {
    let output = record.output_of(row, k);
    match record.context.as_ref().map(|c| c.output_label.as_str()) {
        Some("P(digit)") => format!("P(digit {output})"),
        Some(label) if !label.is_empty() => label.to_owned(),
        _ => format!("model output {output}"),
    }
}

/// The plots of an attribution explanation: per row (at most `max_rows`), a waterfall or
/// a heat map over the image; over rows, the mean |attribution| bars and the beeswarm.
pub fn explanation_figures(record: &ExplanationRecord, stem: &str, max_rows: usize) -> PlotResult<Vec<Figure>> {
    let mut figures = Vec::new();
    let title = method_title(&record.method);
    let k = 0;
    let names = record.names();
    let context = record.context.as_ref();
    for row in 0..record.rows.min(max_rows) {
        let values = record.row(row, k);
        let index = row * record.outputs_per_row() + k;
        let output = output_label(record, row, k);
        let heading = format!("{title}: {}, {output} = {}", row_label(record, row), number(record.predictions[index]));
        match image_shape(record) {
            Some((h, w, channels)) => {
                let map: Vec<f64> = (0..h * w).map(|p| (0..channels).map(|c| values[c * h * w + p]).sum()).collect();
                let image = context.and_then(|c| c.image.as_ref()).filter(|i| i.height == h && i.width == w);
                let pixels: Vec<f64> = match image {
                    Some(i) => i.pixels.iter().skip(row * h * w).take(h * w).map(|&v| f64::from(v)).collect(),
                    None => vec![0.0; h * w],
                };
                let mut heatmap =
                    Heatmap::over_image(&format!("{stem}-row{row}"), &heading, &pixels, h, w, &map, "attribution");
                if image.is_none() {
                    heatmap.background = None;
                }
                figures.push(render(&heatmap)?);
            }
            None => {
                let labels: Vec<String> = match context.and_then(|c| c.value_text.as_ref()).and_then(|t| t.get(row)) {
                    Some(texts) if texts.len() == names.len() => {
                        names.iter().zip(texts).map(|(n, t)| format!("{n} = {t}")).collect()
                    }
                    _ => names.clone(),
                };
                let name = format!("{stem}-row{row}");
                if additive(&record.method) {
                    let base = record.base_values[index];
                    let errors =
                        record.standard_errors.as_ref().filter(|e| e.len() == record.attributions.len()).map(|e| {
                            let start = index * record.features;
                            &e[start..start + record.features]
                        });
                    let mut waterfall =
                        Waterfall::top(&name, &heading, &output, base, &labels, values, errors, TOP_FEATURES);
                    // Feature Ablation's interactions, IG's convergence delta: what the values
                    // leave unattributed, so that the waterfall ends at f(x).
                    let residual = record.predictions[index] - waterfall.score();
                    if residual.abs() > 1e-6 * record.predictions[index].abs().max(1.0) {
                        waterfall.push("not attributed (interactions, error)".to_owned(), residual);
                    }
                    figures.push(render(&waterfall)?);
                } else {
                    figures.push(render(&Bars::top_signed(
                        &name,
                        &heading,
                        &format!("attribution ({output})"),
                        &labels,
                        values,
                        TOP_FEATURES,
                    ))?);
                }
            }
        }
    }
    if record.rows >= 2 && image_shape(record).is_none() {
        let output = match record.row_targets {
            Some(_) => "each row's output".to_owned(),
            None => output_label(record, 0, k),
        };
        let all: Vec<f64> = (0..record.rows).flat_map(|r| record.row(r, k).to_vec()).collect();
        let unit = format!("attribution (Δ {output})");
        let bars = Bars::mean_abs(
            &format!("{stem}-mean-abs"),
            &format!("{title}: mean |attribution| over {} rows", record.rows),
            &format!("mean |attribution| (Δ {output})"),
            &names,
            &all,
            TOP_FEATURES,
        );
        figures.push(render(&bars)?);
        let values: Option<Vec<f64>> = context
            .and_then(|c| c.feature_values.as_ref())
            .map(|rows| rows.iter().flat_map(|r| r.iter().map(|v| v.unwrap_or(f64::NAN))).collect::<Vec<f64>>());
        let values = values.filter(|v| v.len() == all.len());
        let swarm = Beeswarm::top(
            &format!("{stem}-beeswarm"),
            &format!("{title}: attributions of {} rows", record.rows),
            &unit,
            &names,
            &all,
            values.as_deref(),
            TOP_FEATURES,
        );
        figures.push(render(&swarm)?);
    }
    Ok(figures)
}

/// One table per instance (at most `max_rows`) with counterfactuals.
pub fn counterfactual_figures(record: &CounterfactualsRecord, stem: &str, max_rows: usize) -> PlotResult<Vec<Figure>> {
    let mut figures = Vec::new();
    let context = record.context.as_ref();
    for (i, instance) in record.instances.iter().enumerate().take(max_rows) {
        if instance.counterfactuals.is_empty() {
            continue;
        }
        let mut changed: Vec<usize> = instance.counterfactuals.iter().flat_map(|c| c.changed.iter().copied()).collect();
        changed.sort_unstable();
        changed.dedup();
        let original = context.and_then(|c| c.originals.get(i));
        let described = context.and_then(|c| c.counterfactuals.get(i));
        let features = changed
            .iter()
            .filter(|&&f| f < record.feature_names.len())
            .map(|&f| {
                let before = original.and_then(|o| o.get(f)).cloned().unwrap_or_else(|| "·".to_owned());
                let after = instance
                    .counterfactuals
                    .iter()
                    .enumerate()
                    .map(|(c, cf)| match described.and_then(|d| d.get(c)).and_then(|d| d.get(f)) {
                        Some(value) => value.clone(),
                        None if cf.changed.contains(&f) => "changed".to_owned(),
                        None => before.clone(),
                    })
                    .collect();
                (record.feature_names[f].clone(), before, after)
            })
            .collect();
        let output = context.map_or_else(|| format!("P(class {})", instance.target_class), |c| c.output_label.clone());
        let mut summary = vec![(
            output,
            format!("{:.3}", instance.original_probability),
            instance.counterfactuals.iter().map(|c| format!("{:.3}", c.target_probability)).collect(),
        )];
        summary.extend(context.and_then(|c| c.summary.get(i)).cloned().unwrap_or_default());
        summary.push((
            "reaches the target".to_owned(),
            "no".to_owned(),
            instance.counterfactuals.iter().map(|c| if c.success { "yes" } else { "no" }.to_owned()).collect(),
        ));
        let label =
            context.and_then(|c| c.instance_labels.get(i).cloned()).unwrap_or_else(|| format!("instance {}", i + 1));
        let output_name =
            context.map_or_else(|| format!("P(class {})", instance.target_class), |c| c.output_label.clone());
        let cutoff = context.and_then(|c| c.cutoff.as_ref()).map(|cutoff| {
            let score = cutoff.score.as_ref().map(|s| format!(", credit score ≥ {s}")).unwrap_or_default();
            format!("{output_name} ≥ {:.3}{score}", cutoff.probability)
        });
        let table = CounterfactualTable {
            name: format!("{stem}-instance{i}"),
            title: format!("Counterfactuals of {label}"),
            features,
            summary,
            counterfactuals: instance.counterfactuals.len(),
            cutoff,
        };
        figures.push(render(&table)?);
    }
    Ok(figures)
}

/// The co-occurrence graph and the per-feature change counts of a dataset audit.
pub fn audit_figures(record: &DatasetAuditRecord, stem: &str) -> PlotResult<Vec<Figure>> {
    let stats = &record.statistics;
    let graph = CoOccurrenceGraph {
        name: format!("{stem}-co-occurrence"),
        title: format!(
            "Features changed together: {} of {} instances flipped ({:.0} %), {:.2} features changed on average",
            stats.successes,
            stats.instances,
            100.0 * stats.success_rate,
            stats.mean_changed
        ),
        features: record.feature_names.clone(),
        counts: stats.change_counts.clone(),
        co_occurrence: stats.co_occurrence.clone(),
    };
    let changed: Vec<usize> = (0..stats.features).filter(|&f| stats.change_counts[f] > 0).collect();
    let mut bars = Bars {
        name: format!("{stem}-change-counts"),
        title: "How often each feature is changed".to_owned(),
        x_label: "successful counterfactuals changing the feature (count)".to_owned(),
        labels: changed.iter().map(|&f| record.feature_names[f].clone()).collect(),
        values: changed.iter().map(|&f| stats.change_counts[f] as f64).collect(),
        signed: false,
    };
    let mut order: Vec<usize> = (0..bars.values.len()).collect();
    order.sort_by(|&a, &b| bars.values[b].total_cmp(&bars.values[a]).then(a.cmp(&b)));
    bars.labels = order.iter().map(|&i| bars.labels[i].clone()).collect();
    bars.values = order.iter().map(|&i| bars.values[i]).collect();
    let mut figures = vec![render(&graph)?];
    if !bars.values.is_empty() {
        figures.push(render(&bars)?);
    }
    Ok(figures)
}
