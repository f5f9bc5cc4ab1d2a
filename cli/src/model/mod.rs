//! The models `lumen explain` can explain: the built-in ones by name ([`builtin`]; the
//! sequence model [`fraud`] for TimeSHAP) or a
//! plugin shared library ([`plugin`]), each with what the methods need to know about it
//! (column names, groups, a reference row, background rows, a counterfactual schema).

pub mod builtin;
pub mod credit_schema;
pub mod fraud;
pub mod plugin;
pub mod plugin_schema;
pub mod sample;

use lumen::explain::counterfactual::schema::Schema;
use lumen::explain::counterfactual::scorecard::Scorecard;
use lumen::{Element, ElementType, Model, ModelSignature};

use plugin::Plugin;

/// Feature groups: the group of each input column and the groups' names.
#[derive(Debug, Clone, PartialEq)]
pub struct Groups {
    /// The group (`0..names.len()`) of each input column.
    pub mask: Vec<u32>,
    /// The groups' names.
    pub names: Vec<String>,
}

/// What PermuteAttack needs beyond the model.
#[derive(Debug, Clone, PartialEq)]
pub struct CounterfactualSetup {
    /// The logical features.
    pub schema: Schema,
    /// Features that must not change (e.g. protected attributes).
    pub immutable: Vec<usize>,
    /// The class to reach.
    pub target_class: Option<u32>,
    /// The probability of the target class that counts as success (an approval cutoff).
    pub success_probability: Option<f64>,
}

/// A credit model's scorecard: which class is "good credit" and how its probability maps
/// to points.
#[derive(Debug, Clone, PartialEq)]
pub struct CreditScore {
    /// The class whose probability is P(good credit) in counterfactual searches.
    pub good_class: u32,
    /// Points from P(good).
    pub scorecard: Scorecard,
}

impl CreditScore {
    /// The row label of credit scores, naming the scale, e.g. "credit score (600 at 20:1, PDO 15)".
    pub fn label(&self) -> String {
        let s = &self.scorecard;
        format!(
            "credit score ({} at {}:1, PDO {})",
            crate::schema::cells::show_number(s.base_score, None),
            crate::schema::cells::show_number(s.base_odds, None),
            crate::schema::cells::show_number(s.points_to_double_odds, None)
        )
    }

    /// The score of P(good) `p` as whole points, or "-" at 0 and 1 where it is undefined.
    pub fn points(&self, p: f64) -> String {
        self.scorecard.score(p).map_or_else(|_| "-".to_owned(), |s| format!("{s:.0}"))
    }
}

/// Where the model's code lives.
pub enum Source {
    /// A built-in model, alive for the whole process.
    Builtin(&'static dyn Model),
    /// A loaded plugin.
    Plugin(Plugin),
}

/// A model ready to explain, with what the methods and the report need to know about it.
pub struct LoadedModel {
    /// Its name (a built-in name, or the plugin's file name).
    pub name: String,
    /// The model's code.
    pub source: Source,
    /// The names of the input columns (the CSV header).
    pub columns: Vec<String>,
    /// Whether `columns` are the model's own names (else generated `x0`, `x1`, …).
    pub named_columns: bool,
    /// What the explained output is, with its unit, e.g. "P(good credit)".
    pub output_label: String,
    /// The output explained when `--target` is not given.
    pub default_target: Option<u32>,
    /// Column groups, explained as one player each by the Shapley and ablation methods.
    pub groups: Option<Groups>,
    /// A neutral reference row (the `mean` baseline).
    pub reference: Option<Vec<f32>>,
    /// Background rows (KernelSHAP, GradientSHAP) and training rows (PermuteAttack).
    pub background: Option<Vec<f32>>,
    /// PermuteAttack's schema and constraints.
    pub counterfactual: Option<CounterfactualSetup>,
    /// The raw attributes and their encoding, when the model declares them: raw CSV
    /// input, one player per attribute, every output in raw units and labels.
    pub schema: Option<crate::schema::RawSchema>,
    /// How P(good) maps to a credit score, for credit models.
    pub scorecard: Option<CreditScore>,
    /// `(height, width)` when a row is an image.
    pub image: Option<(usize, usize)>,
}

impl LoadedModel {
    /// The model's signature, whatever its element type.
    pub fn signature(&self) -> &ModelSignature {
        match &self.source {
            Source::Builtin(model) => model.signature(),
            Source::Plugin(plugin) => plugin.signature(),
        }
    }

    /// The element type the model takes (built-in models take floats).
    pub fn element_type(&self) -> ElementType {
        match &self.source {
            Source::Builtin(_) => ElementType::F32,
            Source::Plugin(plugin) => plugin.element_type(),
        }
    }

    /// The model when it takes elements of type `E`.
    pub fn typed<E: Element>(&self) -> crate::error::CliResult<&dyn Model<E>> {
        let typed = match &self.source {
            Source::Builtin(model) => {
                let any: &dyn std::any::Any = model;
                any.downcast_ref::<&'static dyn Model<E>>().copied().ok_or_else(|| {
                    lumen::Error::new(lumen::ErrorKind::ElementTypeMismatch, "model: built-in models take floats")
                })
            }
            Source::Plugin(plugin) => plugin.typed::<E>(),
        };
        typed.map_err(|e| crate::error::CliError::model(format!("{}: {}", self.name, e.message())))
    }

    /// A plugin's model, with generated column names when its descriptor has none.
    pub fn from_plugin(path: &std::path::Path) -> crate::error::CliResult<Self> {
        let plugin = Plugin::load(path)?;
        let signature = plugin.signature().clone();
        let schema = plugin.schema.clone();
        let (columns, named_columns) = match &signature.feature_names {
            Some(names) => (names.clone(), true),
            None => ((0..signature.input_len()).map(|i| format!("x{i}")).collect(), false),
        };
        let image = match signature.input_shape.as_slice() {
            [.., h, w] if *h > 1 && *w > 1 => Some((*h, *w)),
            _ => None,
        };
        let name = path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned());
        Ok(Self {
            name,
            output_label: plugin.output_label.clone().unwrap_or_else(|| "model output".to_owned()),
            source: Source::Plugin(plugin),
            columns,
            named_columns,
            default_target: (signature.output_len == 1).then_some(0),
            groups: schema.as_ref().map(crate::schema::RawSchema::groups),
            reference: None,
            background: None,
            counterfactual: schema.as_ref().and_then(|s| s.counterfactual_schema().ok()).map(|schema| {
                CounterfactualSetup { schema, immutable: Vec::new(), target_class: None, success_probability: None }
            }),
            schema,
            scorecard: None,
            image,
        })
    }
}
