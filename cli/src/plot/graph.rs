//! The feature co-occurrence graph of a counterfactual dataset audit: one node per feature
//! that some counterfactual changes (its area grows with how often), one edge per pair
//! changed together (its width grows with how often).

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::colour::{LOWERS, NEUTRAL, TEXT};
use super::{drawing, shorten, Plot, PlotResult, FONT, LABEL, SMALL, TITLE};

/// A co-occurrence graph.
#[derive(Debug, Clone, PartialEq)]
pub struct CoOccurrenceGraph {
    /// File stem.
    pub name: String,
    /// Title drawn above the graph.
    pub title: String,
    /// Feature names.
    pub features: Vec<String>,
    /// How many successful counterfactuals change each feature.
    pub counts: Vec<usize>,
    /// Row-major `features × features` counts of pairs changed together.
    pub co_occurrence: Vec<usize>,
}

impl CoOccurrenceGraph {
    /// The features drawn: those changed at least once, most often first.
    pub fn nodes(&self) -> Vec<usize> {
        let mut nodes: Vec<usize> = (0..self.features.len()).filter(|&f| self.counts[f] > 0).collect();
        nodes.sort_by(|&a, &b| self.counts[b].cmp(&self.counts[a]).then(a.cmp(&b)));
        nodes
    }

    /// The pairs drawn: `(f, g, count)` with `f < g` and a non-zero count.
    pub fn edges(&self) -> Vec<(usize, usize, usize)> {
        let n = self.features.len();
        (0..n)
            .flat_map(|f| (f + 1..n).map(move |g| (f, g)))
            .map(|(f, g)| (f, g, self.co_occurrence[f * n + g]))
            .filter(|&(_, _, c)| c > 0)
            .collect()
    }
}

impl Plot for CoOccurrenceGraph {
    fn name(&self) -> String {
        self.name.clone()
    }

    fn caption(&self) -> String {
        self.title.clone()
    }

    fn size(&self) -> (u32, u32) {
        (960, 640)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> PlotResult {
        let style = |size: u32, h: HPos| (FONT, size).into_font().color(&TEXT).pos(Pos::new(h, VPos::Center));
        root.draw(&Text::new(self.title.clone(), (14, 22), style(TITLE, HPos::Left))).map_err(drawing)?;
        root.draw(&Text::new(
            "node area: counterfactuals changing the feature · edge width: changed together".to_owned(),
            (14, 46),
            style(SMALL, HPos::Left),
        ))
        .map_err(drawing)?;
        let nodes = self.nodes();
        if nodes.is_empty() {
            root.draw(&Text::new(
                "no successful counterfactual: nothing to draw".to_owned(),
                (480, 320),
                style(LABEL, HPos::Center),
            ))
            .map_err(drawing)?;
            return Ok(());
        }
        let (cx, cy, radius) = (480.0, 350.0, 230.0);
        let mut position = vec![(0i32, 0i32); self.features.len()];
        for (k, &f) in nodes.iter().enumerate() {
            let angle = -std::f64::consts::FRAC_PI_2 + 2.0 * std::f64::consts::PI * k as f64 / nodes.len() as f64;
            position[f] = ((cx + radius * angle.cos()) as i32, (cy + radius * angle.sin()) as i32);
        }
        let edges = self.edges();
        let max_edge = edges.iter().map(|e| e.2).max().unwrap_or(1) as f64;
        for &(f, g, c) in &edges {
            let width = 1.0 + 7.0 * c as f64 / max_edge;
            root.draw(&PathElement::new(vec![position[f], position[g]], NEUTRAL.mix(0.45).stroke_width(width as u32)))
                .map_err(drawing)?;
        }
        let max_count = nodes.iter().map(|&f| self.counts[f]).max().unwrap_or(1) as f64;
        for &f in &nodes {
            let size = 6.0 + 20.0 * (self.counts[f] as f64 / max_count).sqrt();
            root.draw(&Circle::new(position[f], size as i32, LOWERS.mix(0.9).filled())).map_err(drawing)?;
            let (x, y) = position[f];
            let outward = if x >= cx as i32 { HPos::Left } else { HPos::Right };
            let dx = if x >= cx as i32 { size as i32 + 6 } else { -(size as i32) - 6 };
            let label = format!("{} ({})", shorten(&self.features[f], 30), self.counts[f]);
            root.draw(&Text::new(label, (x + dx, y), style(LABEL, outward))).map_err(drawing)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::render;
    use super::super::test_support::{assert_png, count, text_count};
    use super::*;

    #[test]
    fn one_node_per_changed_feature_and_one_edge_per_pair() {
        #[rustfmt::skip]
        let co_occurrence = vec![
            2, 1, 2, 0,
            1, 1, 1, 0,
            2, 1, 3, 0,
            0, 0, 0, 0,
        ];
        let graph = CoOccurrenceGraph {
            name: "graph".into(),
            title: "Features changed together".into(),
            features: ["savings", "duration", "checking account", "age"].map(String::from).to_vec(),
            counts: vec![2, 1, 3, 0],
            co_occurrence,
        };
        assert_eq!(graph.nodes(), [2, 0, 1]);
        assert_eq!(graph.edges(), [(0, 1, 1), (0, 2, 2), (1, 2, 1)]);
        let figure = render(&graph).expect("renders");
        assert_eq!(count(&figure, "<circle"), 3);
        assert_eq!(count(&figure, "<polyline"), 3, "{}", figure.svg);
        assert!((text_count(&figure, "checking account (3)") == 1) && !figure.svg.contains("age ("));
        assert_png(&figure);
    }
}
