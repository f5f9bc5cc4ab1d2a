//! The PermuteAttack reproduction's random forest on German Credit: determinism, test
//! accuracy, the `lumen::Model` contract, and the attribute layout counterfactual search
//! works on.

use lumen::Model;
use lumen_models::german_credit::{
    AttributeLayout, GermanCredit, GermanCreditForest, ATTRIBUTES, ATTRIBUTE_COUNT, BAD_CREDIT_CLASS,
    FOREIGN_WORKER_ATTRIBUTE, FOREST_TREES, GOOD_CREDIT_CLASS,
};

/// Test accuracy the forest must beat; it measures 0.745 (298 of 400).
const MIN_TEST_ACCURACY: f64 = 0.70;

/// Every applicant's two outputs, row by row in one batch.
fn all_outputs(forest: &GermanCreditForest) -> Vec<f32> {
    let data = GermanCredit::shared();
    let mut outputs = vec![0.0; data.rows() * 2];
    forest.predict(data.encoded_rows(), data.rows(), &mut outputs).expect("shapes match");
    outputs
}

#[test]
fn training_twice_gives_the_same_forest_bit_for_bit() {
    let data = GermanCredit::shared();
    let first = GermanCreditForest::train(data);
    let second = GermanCreditForest::train(data);
    assert_eq!(first, second);
    let bits = |forest: &GermanCreditForest| all_outputs(forest).iter().map(|p| p.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(&first), bits(&second));
    assert_eq!(bits(&first), bits(GermanCreditForest::shared()));
}

#[test]
fn split_is_600_training_and_400_test_rows() {
    let forest = GermanCreditForest::shared();
    assert_eq!((forest.train_rows().len(), forest.test_rows().len()), (600, 400));
    let mut all: Vec<usize> = forest.train_rows().iter().chain(forest.test_rows()).copied().collect();
    all.sort_unstable();
    assert_eq!(all, (0..1000).collect::<Vec<_>>());
    assert_eq!(forest.trees(), FOREST_TREES);
}

#[test]
fn test_accuracy_beats_the_bar() {
    let forest = GermanCreditForest::shared();
    let data = GermanCredit::shared();
    let row_len = data.encoded_len();
    let correct = forest
        .test_rows()
        .iter()
        .filter(|&&row| {
            let class = forest.predicted_class(&data.encoded_rows()[row * row_len..(row + 1) * row_len]);
            let label = if data.labels()[row] == 1.0 { GOOD_CREDIT_CLASS } else { BAD_CREDIT_CLASS };
            class == label
        })
        .count();
    assert_eq!(correct as f64 / 400.0, forest.test_accuracy());
    eprintln!("forest test accuracy {} ({correct} of 400)", forest.test_accuracy());
    assert!(forest.test_accuracy() > MIN_TEST_ACCURACY, "test accuracy {}", forest.test_accuracy());
}

#[test]
fn outputs_are_vote_shares_summing_to_1() {
    let forest = GermanCreditForest::shared();
    let data = GermanCredit::shared();
    let row_len = data.encoded_len();
    for (row, pair) in all_outputs(forest).chunks_exact(2).enumerate() {
        assert!(pair.iter().all(|p| (0.0..=1.0).contains(p)), "row {row}: {pair:?}");
        assert!((pair[0] + pair[1] - 1.0).abs() < 1e-6, "row {row}: {pair:?}");
        let votes = pair[BAD_CREDIT_CLASS] * FOREST_TREES as f32;
        assert!((votes - votes.round()).abs() < 1e-5, "row {row}: {pair:?}");
        let encoded = &data.encoded_rows()[row * row_len..(row + 1) * row_len];
        let expected = if pair[BAD_CREDIT_CLASS] > 0.5 { BAD_CREDIT_CLASS } else { GOOD_CREDIT_CLASS };
        assert_eq!(forest.predicted_class(encoded), expected, "row {row}");
    }
}

#[test]
fn a_batch_predicts_what_single_rows_do() {
    let forest = GermanCreditForest::shared();
    let data = GermanCredit::shared();
    let batch = all_outputs(forest);
    for (row, encoded) in data.encoded_rows().chunks_exact(data.encoded_len()).enumerate() {
        let single = forest.class_probabilities(encoded);
        assert_eq!(single.map(f32::to_bits), [batch[2 * row].to_bits(), batch[2 * row + 1].to_bits()], "row {row}");
    }
}

#[test]
fn signature_and_length_checks() {
    let forest = GermanCreditForest::shared();
    let data = GermanCredit::shared();
    let signature = forest.signature();
    signature.validate().expect("a consistent signature");
    assert_eq!((signature.input_len(), signature.output_len), (61, 2));
    assert!(signature.concurrent);
    assert_eq!(signature.feature_names.as_deref(), Some(data.column_names()));
    let row = &data.encoded_rows()[..61];
    assert!(forest.predict(row, 2, &mut [0.0; 4]).is_err());
    assert!(forest.predict(row, 1, &mut [0.0; 1]).is_err());
    forest.predict(&[], 0, &mut []).expect("zero rows are no work");
}

#[test]
fn attribute_layout_covers_every_column_once_in_order() {
    let data = GermanCredit::shared();
    let layout = data.attribute_layout();
    assert_eq!(layout.len(), ATTRIBUTE_COUNT);
    let mut columns = Vec::new();
    for ((name, attribute), definition) in layout.iter().zip(ATTRIBUTES) {
        assert_eq!(name, definition.name);
        match attribute {
            AttributeLayout::Numeric { column } => columns.push(*column),
            AttributeLayout::Categorical { columns: group } => {
                assert!(group.len() >= 2, "{name}: {group:?}");
                columns.extend(group);
            }
        }
    }
    assert_eq!(columns, (0..data.encoded_len()).collect::<Vec<_>>());
    assert_eq!(
        layout[FOREIGN_WORKER_ATTRIBUTE].1,
        AttributeLayout::Categorical { columns: vec![data.encoded_len() - 2, data.encoded_len() - 1] }
    );
}

#[test]
fn counterfactual_schema_decodes_every_applicant() {
    let data = GermanCredit::shared();
    let schema = data.counterfactual_schema().expect("every categorical attribute has at least two codes");
    assert_eq!((schema.len(), schema.row_len()), (ATTRIBUTE_COUNT, data.encoded_len()));
    for (row, encoded) in data.encoded_rows().chunks_exact(data.encoded_len()).enumerate() {
        let encoded: Vec<f64> = encoded.iter().map(|&v| f64::from(v)).collect();
        let values = schema.decode(&encoded, "row").unwrap_or_else(|error| panic!("row {row}: {error}"));
        let mut round_trip = vec![f64::NAN; encoded.len()];
        schema.encode_into(&values, &mut round_trip);
        assert_eq!(round_trip, encoded, "row {row}");
    }
}
