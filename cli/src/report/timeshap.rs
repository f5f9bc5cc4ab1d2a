//! The plots and facts of TimeSHAP records: per sequence, the pruning curve and event bars
//! (event level), feature bars (feature level) and the cell heat map (cell level); over
//! many sequences, the global study's event importance by distance, feature importance
//! and pruning table.

use serde::Deserialize;
use serde_json::Value;

use super::record::{AuditRecord, Context, ExplanationRecord};
use crate::plot::bars::Bars;
use crate::plot::heatmap::Heatmap;
use crate::plot::pruning::PruningCurve;
use crate::plot::{number, render, Figure, PlotResult};

/// Event bars show every unpruned event up to this many; beyond, the largest |values|.
const EVENT_BARS: usize = 16;

/// A player as the engine's record names it (`parameters.players`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
enum PlayerRecord {
    Event { event: usize },
    Feature { feature: usize },
    Cell { event: usize, feature: usize },
    OtherFeaturesOfEvent { event: usize },
    OtherEventsOfFeature { feature: usize },
    OtherCells,
    PrunedEvents,
}

/// Whether `record` is a TimeSHAP explanation.
pub fn is_timeshap(record: &ExplanationRecord) -> bool {
    record.method == "time_shap"
}

fn players(record: &ExplanationRecord) -> Option<Vec<PlayerRecord>> {
    serde_json::from_value(record.parameters.get("players")?.clone())
        .ok()
        .filter(|p: &Vec<_>| p.len() == record.features)
}

fn pruning_field(record: &ExplanationRecord, field: &str) -> Option<u64> {
    record.parameters.get("pruning")?.get(field)?.as_u64()
}

/// " (event level)" and so on for a TimeSHAP record; empty for other records.
pub fn level_title(record: &ExplanationRecord) -> String {
    match record.parameters.get("level").and_then(Value::as_str).filter(|_| is_timeshap(record)) {
        Some(level) => format!(" ({level} level)"),
        None => String::new(),
    }
}

/// The level, sequence length and pruned length as report facts.
pub fn facts(record: &ExplanationRecord) -> Vec<(String, String)> {
    let mut facts = Vec::new();
    if let Some(level) = record.parameters.get("level").and_then(Value::as_str) {
        facts.push(("level".to_owned(), level.to_owned()));
    }
    if let (Some(len), Some(pruned)) = (pruning_field(record, "sequence_len"), pruning_field(record, "pruned_len")) {
        let eta = record.parameters["pruning"].get("tolerance").and_then(Value::as_f64);
        let eta = eta.map_or_else(|| "no pruning".to_owned(), |t| format!("η = {t}"));
        facts.push(("pruning".to_owned(), format!("{pruned} of {len} events kept as players ({eta})")));
    }
    if let Some(exact) = record.parameters.get("exact").and_then(Value::as_bool) {
        let how = if exact { "exact (every coalition)" } else { "sampled (KernelSHAP budget)" };
        facts.push(("values".to_owned(), how.to_owned()));
    }
    facts
}

/// The words of event `event`, cut at the first comma (its kind and amount).
fn short_words(context: Option<&Context>, event: usize) -> Option<String> {
    let words = context?.sequence.as_ref()?.events.get(event)?;
    Some(words.split(',').next().unwrap_or(words).to_owned())
}

/// The plots of one TimeSHAP record (`stem` prefixes the file names).
pub fn figures(record: &ExplanationRecord, stem: &str) -> PlotResult<Vec<Figure>> {
    let Some(players) = players(record) else { return Ok(Vec::new()) };
    let context = record.context.as_ref();
    let names = record.names();
    let values = record.row(0, 0);
    let output = context.map_or("model output", |c| c.output_label.as_str()).to_owned();
    let sequence = context.and_then(|c| c.sequence.as_ref());
    let id = sequence.map_or_else(|| "sequence".to_owned(), |s| format!("sequence {}", s.id));
    let unit = format!("Shapley value (Δ {output})");
    let mut figures = Vec::new();
    match record.parameters.get("level").and_then(Value::as_str) {
        Some("event") => {
            let points: Vec<(usize, f64)> = match sequence.filter(|s| !s.curve.is_empty()) {
                Some(s) => s.curve.iter().map(|p| (p.newer_len, p.older_value.abs())).collect(),
                None => record.parameters["pruning"]["curve"]
                    .as_array()
                    .map(|points| {
                        points
                            .iter()
                            .filter_map(|p| Some((p["newer_len"].as_u64()? as usize, p["older_value"].as_f64()?.abs())))
                            .collect()
                    })
                    .unwrap_or_default(),
            };
            let tolerance = record.parameters["pruning"]["tolerance"].as_f64();
            let (len, pruned) = (pruning_field(record, "sequence_len"), pruning_field(record, "pruned_len"));
            figures.push(render(&PruningCurve {
                name: format!("{stem}-pruning"),
                title: format!("TimeSHAP pruning of {id}: {} of {} events kept", pruned.unwrap_or(0), len.unwrap_or(0)),
                points,
                tolerance: tolerance.unwrap_or(0.0),
                pruned_at: tolerance.and(pruned).map(|p| p as usize).filter(|&p| Some(p as u64) != len),
                unit: output.clone(),
            })?);
            let labels: Vec<String> = players
                .iter()
                .zip(&names)
                .map(|(player, name)| match player {
                    PlayerRecord::Event { event } => match short_words(context, *event) {
                        Some(words) => format!("{name}: {words}"),
                        None => name.clone(),
                    },
                    _ => name.clone(),
                })
                .collect();
            let title = format!("TimeSHAP events of {id} ({output} {})", number(record.predictions[0]));
            let bars = if labels.len() <= EVENT_BARS {
                Bars {
                    name: format!("{stem}-events"),
                    title,
                    x_label: unit,
                    labels,
                    values: values.to_vec(),
                    signed: true,
                }
            } else {
                Bars::top_signed(&format!("{stem}-events"), &title, &unit, &labels, values, EVENT_BARS)
            };
            figures.push(render(&bars)?);
        }
        Some("feature") => figures.push(render(&Bars {
            name: format!("{stem}-features"),
            title: format!("TimeSHAP features of {id} (over the unpruned events)"),
            x_label: unit,
            labels: names,
            values: values.to_vec(),
            signed: true,
        })?),
        Some("cell") => figures.push(render(&cell_map(record, &players, &format!("{stem}-cells"), &id, &output))?),
        _ => {}
    }
    Ok(figures)
}

/// The cell level as a heat map: relevant events (rows, most recent first) × relevant
/// features (columns), plus an "other features" column, an "other events" row and their
/// corner for the grouped cells; the pruned events' value goes in the title.
fn cell_map(record: &ExplanationRecord, players: &[PlayerRecord], name: &str, id: &str, output: &str) -> Heatmap {
    let seq_len = record.input_shape.first().copied().unwrap_or(0);
    let mut events: Vec<usize> = Vec::new();
    let mut features: Vec<usize> = Vec::new();
    let mut feature_label: Vec<(usize, String)> = Vec::new();
    let names = record.names();
    for (player, label) in players.iter().zip(&names) {
        if let PlayerRecord::Cell { event, feature } = player {
            if !events.contains(event) {
                events.push(*event);
            }
            if !features.contains(feature) {
                features.push(*feature);
                let feature_name = label.split_once(", ").map_or(label.as_str(), |(_, f)| f).to_owned();
                feature_label.push((*feature, feature_name));
            }
        }
    }
    events.sort_unstable_by(|a, b| b.cmp(a));
    let other_events =
        players.iter().any(|p| matches!(p, PlayerRecord::OtherEventsOfFeature { .. } | PlayerRecord::OtherCells));
    let other_features =
        players.iter().any(|p| matches!(p, PlayerRecord::OtherFeaturesOfEvent { .. } | PlayerRecord::OtherCells));
    let mut row_labels: Vec<String> = events
        .iter()
        .map(|&e| {
            let name = format!("Event -{}", seq_len.saturating_sub(e));
            match short_words(record.context.as_ref(), e) {
                Some(words) => format!("{name}: {words}"),
                None => name,
            }
        })
        .collect();
    if other_events {
        row_labels.push("other unpruned events".to_owned());
    }
    let mut col_labels: Vec<String> = feature_label.iter().map(|(_, n)| n.clone()).collect();
    if other_features {
        col_labels.push("other features".to_owned());
    }
    let (rows, cols) = (row_labels.len(), col_labels.len());
    let mut values = vec![0.0; rows * cols];
    let row_of = |event: usize| events.iter().position(|&e| e == event);
    let col_of = |feature: usize| features.iter().position(|&f| f == feature);
    let mut pruned = None;
    for (player, &value) in players.iter().zip(record.row(0, 0)) {
        let at = match player {
            PlayerRecord::Cell { event, feature } => row_of(*event).zip(col_of(*feature)),
            PlayerRecord::OtherFeaturesOfEvent { event } => row_of(*event).map(|r| (r, cols - 1)),
            PlayerRecord::OtherEventsOfFeature { feature } => col_of(*feature).map(|c| (rows - 1, c)),
            PlayerRecord::OtherCells => Some((rows - 1, cols - 1)),
            PlayerRecord::PrunedEvents => {
                pruned = Some(value);
                None
            }
            PlayerRecord::Event { .. } | PlayerRecord::Feature { .. } => None,
        };
        if let Some((r, c)) = at {
            values[r * cols + c] = value;
        }
    }
    let pruned = pruned.map_or_else(String::new, |v| format!("; pruned events {}", number(v)));
    let title = format!("TimeSHAP cells of {id} (Δ {output}){pruned}");
    let mut map = Heatmap::cells(name, &title, row_labels, col_labels, &values, ("feature", "event"), "Shapley value");
    map.cell = (150, 34);
    map.annotate = true;
    map
}

/// One row of the global study's pruning table.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct PruningRowRecord {
    /// η.
    pub tolerance: f64,
    /// Mean pruned length.
    pub mean_len: f64,
    /// Median pruned length.
    pub median_len: f64,
    /// Longest pruned length.
    pub max_len: usize,
    /// Share of sequences whose players fit exact enumeration.
    pub exact_share: f64,
    /// Mean relative standard deviation of event values over seeds.
    pub relative_std: f64,
}

/// Summary statistics as the engine writes them.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
pub struct SummaryRecord {
    /// Values.
    pub count: usize,
    /// Mean.
    pub mean: f64,
    /// Standard deviation.
    pub std: f64,
    /// Median.
    pub median: f64,
}

/// Event importance at one distance from the most recent event.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct DistanceRecord {
    /// 0 = the most recent event.
    pub distance: usize,
    /// The values at that distance.
    pub summary: SummaryRecord,
}

/// One feature's importance over the sequences.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct FeatureRecord {
    /// The feature's name.
    pub name: String,
    /// Mean |value|.
    pub mean_abs: f64,
    /// Its values' summary.
    pub summary: SummaryRecord,
}

/// The `kind` of a global TimeSHAP record.
pub const GLOBAL_KIND: &str = "timeshap_global";

/// A global TimeSHAP study as the command writes it (the engine's global report with
/// `kind` = `timeshap_global` and the command's context).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct GlobalRecord {
    /// `timeshap_global`.
    pub kind: String,
    /// The study's parameters.
    pub parameters: Value,
    /// Sequences explained.
    pub sequences: usize,
    /// Event values by distance from the most recent event.
    pub event_importance: Vec<DistanceRecord>,
    /// The pruned events' values.
    pub pruned_events: SummaryRecord,
    /// Feature values.
    pub feature_importance: Vec<FeatureRecord>,
    /// The most recent event's share of f(x) − base.
    pub most_recent_share: SummaryRecord,
    /// The paper's pruning table.
    pub pruning_table: Vec<PruningRowRecord>,
    /// Reproducibility metadata.
    pub audit: AuditRecord,
    /// The command's context.
    #[serde(default)]
    pub context: Option<Context>,
}

/// The global study's facts: the pruning table (one line per η) and the share of the
/// most recent event.
pub fn global_facts(record: &GlobalRecord) -> Vec<(String, String)> {
    let mut facts = vec![("sequences".to_owned(), record.sequences.to_string())];
    if let Some(context) = &record.context {
        facts.push(("model".to_owned(), context.model.clone()));
        facts.push(("sequences from".to_owned(), context.source.clone()));
    }
    for row in &record.pruning_table {
        facts.push((
            format!("pruning at η = {}", row.tolerance),
            format!(
                "pruned length mean {:.1}, median {:.1}, max {}; {:.0} % fit exact enumeration; relative std of values over seeds {:.3}",
                row.mean_len,
                row.median_len,
                row.max_len,
                100.0 * row.exact_share,
                row.relative_std
            ),
        ));
    }
    let share = &record.most_recent_share;
    facts.push((
        "most recent event's share of f(x) − base".to_owned(),
        format!("mean {:.2}, median {:.2} over {} sequences", share.mean, share.median, share.count),
    ));
    facts
}

/// The global study's plots: event importance by distance and feature importance.
pub fn global_figures(record: &GlobalRecord, stem: &str) -> PlotResult<Vec<Figure>> {
    let output = record.context.as_ref().map_or("model output", |c| c.output_label.as_str()).to_owned();
    let shown: Vec<&DistanceRecord> = record.event_importance.iter().filter(|d| d.summary.count > 0).take(12).collect();
    let mut labels: Vec<String> =
        shown.iter().map(|d| format!("Event -{} ({} sequences)", d.distance + 1, d.summary.count)).collect();
    let mut values: Vec<f64> = shown.iter().map(|d| d.summary.mean).collect();
    if record.pruned_events.count > 0 {
        labels.push(format!("Pruned Events ({} sequences)", record.pruned_events.count));
        values.push(record.pruned_events.mean);
    }
    let events = Bars {
        name: format!("{stem}-event-importance"),
        title: format!("TimeSHAP event importance by distance, {} sequences", record.sequences),
        x_label: format!("mean Shapley value (Δ {output})"),
        labels,
        values,
        signed: true,
    };
    let mut order: Vec<&FeatureRecord> = record.feature_importance.iter().collect();
    order.sort_by(|a, b| b.mean_abs.total_cmp(&a.mean_abs));
    let features = Bars {
        name: format!("{stem}-feature-importance"),
        title: format!("TimeSHAP feature importance, {} sequences", record.sequences),
        x_label: format!("mean |Shapley value| (Δ {output})"),
        labels: order.iter().map(|f| f.name.clone()).collect(),
        values: order.iter().map(|f| f.mean_abs).collect(),
        signed: false,
    };
    Ok(vec![render(&events)?, render(&features)?])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A cell-level record over a 10-event sequence of features a, b, c: events 8 and 9
    /// and features a and c relevant, values 1 … 10 in player order.
    fn cell_record() -> ExplanationRecord {
        let players = serde_json::json!([
            {"kind": "cell", "event": 8, "feature": 0}, {"kind": "cell", "event": 8, "feature": 2},
            {"kind": "cell", "event": 9, "feature": 0}, {"kind": "cell", "event": 9, "feature": 2},
            {"kind": "other_features_of_event", "event": 8}, {"kind": "other_features_of_event", "event": 9},
            {"kind": "other_events_of_feature", "feature": 0}, {"kind": "other_events_of_feature", "feature": 2},
            {"kind": "other_cells"}, {"kind": "pruned_events"}
        ]);
        let names = [
            "Event -2, a",
            "Event -2, c",
            "Event -1, a",
            "Event -1, c",
            "Other features of Event -2",
            "Other features of Event -1",
            "Other events of a",
            "Other events of c",
            "Other Cells",
            "Pruned Events",
        ];
        serde_json::from_value(serde_json::json!({
            "method": "time_shap",
            "parameters": {"level": "cell", "players": players,
                           "pruning": {"sequence_len": 10, "pruned_len": 4, "tolerance": 0.025}},
            "audit": {"library_version": "0.1.0", "seed": 0, "backend": "cpu", "model_rows_evaluated": 1},
            "input_shape": [10, 3], "rows": 1, "outputs": [0], "feature_axis": "groups", "features": 10,
            "feature_names": names,
            "attributions": (1..=10).map(f64::from).collect::<Vec<_>>(),
            "predictions": [55.5], "base_values": [0.5],
            "diagnostics": [{"model_rows_evaluated": 1, "completeness_gap": [0.0]}]
        }))
        .expect("a record")
    }

    #[test]
    fn cell_groups_land_in_their_rows_and_columns() {
        let record = cell_record();
        let players = players(&record).expect("players parse");
        let map = cell_map(&record, &players, "cells", "sequence s", "score");
        assert_eq!(map.row_labels, ["Event -1", "Event -2", "other unpruned events"]);
        assert_eq!(map.col_labels, ["a", "c", "other features"]);
        assert_eq!(map.values, [3.0, 4.0, 6.0, 1.0, 2.0, 5.0, 7.0, 8.0, 9.0]);
        assert!(map.title.ends_with("; pruned events 10.000"), "{}", map.title);
        assert_eq!(level_title(&record), " (cell level)");
        let facts = facts(&record);
        assert!(facts.contains(&("pruning".to_owned(), "4 of 10 events kept as players (η = 0.025)".to_owned())));
        let figures = figures(&record, "07").expect("renders");
        assert_eq!(figures.iter().map(|f| f.name.as_str()).collect::<Vec<_>>(), ["07-cells"]);
    }
}
