//! The optional schema export of a model plugin:
//! `int32_t lumen_plugin_schema(const lumen_plugin_attribute **attributes, size_t *len)`
//! (see `examples/plugin/lumen_plugin.h`). The plugin's static description of its raw
//! attributes is copied into a [`RawSchema`] and validated against the model's input
//! length, so nothing of it is read again after loading.

use std::ffi::{c_char, CStr};

use libloading::Library;

use crate::error::{CliError, CliResult};
use crate::schema::{Attribute, AttributeKind, Category, CategoryEncoding, Numeric, RawSchema};

/// The optional schema entry point.
pub const SCHEMA: &str = "lumen_plugin_schema";

/// A numeric attribute: `column` holds `(raw − offset) / scale`.
pub const NUMERIC: u32 = 0;
/// A categorical attribute over `categories_len` consecutive one-hot columns from `column`.
pub const ONE_HOT: u32 = 1;
/// A categorical attribute whose category writes its `value` into `column`.
pub const CODED: u32 = 2;

/// Most categories of one attribute a plugin may declare.
const MAX_CATEGORIES: usize = 1 << 16;

/// `lumen_plugin_category` of `lumen_plugin.h`.
#[repr(C)]
struct PluginCategory {
    code: *const c_char,
    label: *const c_char,
    value: f32,
}

/// `lumen_plugin_attribute` of `lumen_plugin.h`.
#[repr(C)]
struct PluginAttribute {
    name: *const c_char,
    kind: u32,
    column: usize,
    unit: *const c_char,
    offset: f64,
    scale: f64,
    decimals: i32,
    categories: *const PluginCategory,
    categories_len: usize,
}

type SchemaEntry = unsafe extern "C" fn(attributes: *mut *const PluginAttribute, len: *mut usize) -> i32;

/// A C string the plugin gave, copied; `None` for NULL.
///
/// # Safety
/// `text` is NULL or a NUL-terminated string that is valid for reads.
unsafe fn text(text: *const c_char) -> Option<String> {
    // SAFETY: the caller's contract.
    (!text.is_null()).then(|| unsafe { CStr::from_ptr(text) }.to_string_lossy().into_owned())
}

/// Reads the schema `library` exports, if it exports one; `shown` names the plugin in
/// errors, `input_len` is its model's input length.
pub fn read(library: &Library, shown: &str, input_len: usize) -> CliResult<Option<RawSchema>> {
    // SAFETY: the symbol's type is the documented optional function's C signature.
    let Ok(entry) = (unsafe { library.get::<SchemaEntry>(SCHEMA.as_bytes()) }) else {
        return Ok(None);
    };
    let fail = |reason: String| CliError::model(format!("{shown}: {SCHEMA}: {reason}"));
    let mut attributes: *const PluginAttribute = std::ptr::null();
    let mut len = 0usize;
    // SAFETY: both out pointers are valid and writable, as the contract requires.
    let code = unsafe { entry(&mut attributes, &mut len) };
    if code != 0 {
        return Err(fail(format!("failed with error code {code}")));
    }
    if attributes.is_null() || len == 0 || len > input_len {
        return Err(fail(format!(
            "gave {len} attributes at {attributes:p}; expected 1 to {input_len} (the model's inputs) at a non-NULL address"
        )));
    }
    // SAFETY: the contract: `len` attributes in static storage at `attributes`.
    let declared = unsafe { std::slice::from_raw_parts(attributes, len) };
    let mut copied = Vec::with_capacity(len);
    for (a, attribute) in declared.iter().enumerate() {
        // SAFETY: the contract: NULL or NUL-terminated static strings.
        let name = unsafe { text(attribute.name) }.ok_or_else(|| fail(format!("attribute {a} has no name")))?;
        let kind = match attribute.kind {
            NUMERIC => AttributeKind::Numeric(Numeric {
                // SAFETY: as above.
                unit: unsafe { text(attribute.unit) },
                column: attribute.column,
                offset: attribute.offset,
                scale: attribute.scale,
                decimals: u32::try_from(attribute.decimals).ok(),
            }),
            ONE_HOT | CODED => {
                let count = attribute.categories_len;
                if attribute.categories.is_null() || count == 0 || count > MAX_CATEGORIES {
                    return Err(fail(format!("attribute '{name}': {count} categories; expected 1 to {MAX_CATEGORIES}")));
                }
                // SAFETY: the contract: `categories_len` categories in static storage.
                let declared = unsafe { std::slice::from_raw_parts(attribute.categories, count) };
                let mut categories = Vec::with_capacity(count);
                for (c, category) in declared.iter().enumerate() {
                    // SAFETY: as above.
                    let code = unsafe { text(category.code) }
                        .ok_or_else(|| fail(format!("attribute '{name}': category {c} has no code")))?;
                    // SAFETY: as above.
                    let label = unsafe { text(category.label) }.unwrap_or_else(|| code.clone());
                    categories.push(Category { code, label });
                }
                let encoding = if attribute.kind == ONE_HOT {
                    let end = attribute.column.saturating_add(count);
                    if end > input_len {
                        return Err(fail(format!(
                            "attribute '{name}': one-hot columns {}..{end} reach beyond the model's {input_len} inputs",
                            attribute.column
                        )));
                    }
                    CategoryEncoding::OneHot { columns: (attribute.column..end).collect() }
                } else {
                    CategoryEncoding::Code { column: attribute.column, values: declared.iter().map(|c| c.value).collect() }
                };
                AttributeKind::Categorical { categories, encoding }
            }
            other => {
                return Err(fail(format!(
                    "attribute '{name}' has kind {other}; expected {NUMERIC} (numeric), {ONE_HOT} (one-hot) or {CODED} (coded)"
                )))
            }
        };
        copied.push(Attribute { name, kind });
    }
    RawSchema::new(copied, input_len).map(Some).map_err(|e| fail(format!("invalid schema: {e}")))
}
